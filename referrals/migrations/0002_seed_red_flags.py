"""Seed the red-flag catalogue (referrals/catalogue.py). Editable in the admin afterwards;
only missing codes are added, an edited flag is never changed."""

from django.db import migrations

from referrals.catalogue import ensure_red_flags


def seed(apps, schema_editor):
    ensure_red_flags(apps.get_model("referrals", "RedFlag"))


class Migration(migrations.Migration):
    dependencies = [("referrals", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
