"""The red flags, goals, visits, actions and discharges made before the dashboard's counts
of them existed, counted (reports.stored): a rebuild of every network, so that rows changed
between 0010 and this are counted once. Its own migration: the counters' unique keys, which
the counting upserts on, are created at the end of 0010."""

from django.db import migrations

from reports.stored import REBUILD_ALL_SQL


class Migration(migrations.Migration):
    dependencies = [("reports", "0010_dashboard_tallies")]

    operations = [migrations.RunSQL(REBUILD_ALL_SQL, migrations.RunSQL.noop, elidable=False)]
