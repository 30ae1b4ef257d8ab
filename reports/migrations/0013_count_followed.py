"""The discharges made before the dashboard's counts of what followed them existed, counted
(reports.followed): a rebuild of every network, after 0012 made the counter's unique key."""

from django.db import migrations

from reports.followed import REBUILD_ALL_SQL


class Migration(migrations.Migration):
    dependencies = [("reports", "0012_followed_tally")]

    operations = [migrations.RunSQL(REBUILD_ALL_SQL, migrations.RunSQL.noop, elidable=False)]
