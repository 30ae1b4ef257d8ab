"""The referrals made before the dashboard's counts existed, counted (reports.tally): a
rebuild of every network, so that referrals changed between 0006 and this are counted once.
Its own migration: the counters' unique keys, which the counting upserts on, are created at
the end of 0006."""

from django.db import migrations

from reports.migrations._tally_0006 import REBUILD_ALL_SQL


class Migration(migrations.Migration):
    dependencies = [("reports", "0006_referral_tally")]

    operations = [migrations.RunSQL(REBUILD_ALL_SQL, migrations.RunSQL.noop, elidable=False)]
