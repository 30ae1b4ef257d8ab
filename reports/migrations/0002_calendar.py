from django.db import migrations


def fill(apps, schema_editor):
    from reports.calendar import ensure_calendar

    ensure_calendar(apps.get_model("reports", "CalendarDay"))


class Migration(migrations.Migration):
    dependencies = [("reports", "0001_initial")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
