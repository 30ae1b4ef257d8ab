"""The red-flag catalogue's SNOMED CT codes and the built-in services' (referrals/catalogue.py),
set where none was set: a code chosen in the admin stays."""

from django.db import migrations

from referrals.catalogue import SERVICE_SNOMED, snomed_for_flags


def set_codes(apps, schema_editor):
    RedFlag = apps.get_model("referrals", "RedFlag")
    ServiceConfig = apps.get_model("referrals", "ServiceConfig")
    for code, snomed in snomed_for_flags().items():
        RedFlag.objects.filter(code=code, snomed_code="").update(snomed_code=snomed)
    for service, snomed in SERVICE_SNOMED.items():
        ServiceConfig.objects.filter(service=service, snomed_code="").update(snomed_code=snomed)


class Migration(migrations.Migration):
    dependencies = [("referrals", "0011_external_identifier_and_snomed_codes")]

    operations = [migrations.RunPython(set_codes, migrations.RunPython.noop)]
