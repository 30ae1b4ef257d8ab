"""Row-level security on a GP medication list staged for reconciliation (keyed by its own
network) and its lines and their history (by the import they belong to)."""

from django.db import migrations

from core import rls


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_isolate_governance"),
        ("medicines", "0007_gp_medication_import"),
    ]

    operations = [
        rls.isolate(
            "medicines_medicationimport",
            "medicines_medicationimportline",
            "medicines_medicationimportlineevent",
        )
    ]
