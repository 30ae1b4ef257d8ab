"""Row-level security on the webhook tables (core/rls.py): each row is its network's."""

from django.db import migrations

from core import rls


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_row_level_security"),
        ("webhooks", "0001_initial"),
    ]

    operations = [rls.isolate("webhooks_subscription", "webhooks_event", "webhooks_delivery")]
