"""First contact after acceptance stored (reports.contact): the tables, the triggers on
referrals, visits and tasks that keep them, row-level security, and every referral accepted
so far filled in last (plain inserts: the counters' unique key is made at the end of the
migration, so nothing here upserts; no trigger runs between the two in this transaction)."""

import django.db.models.deletion
from django.db import migrations, models

from core import rls
from reports.contact import REBUILD_ALL_SQL, TRIGGERS_REVERSE_SQL, TRIGGERS_SQL


class Migration(migrations.Migration):

    dependencies = [
        ('networks', '0013_remove_membership_membership_role_known_and_more'),
        ('patients', '0010_clinical_notes_restricted'),
        ('reports', '0007_count_referrals_made'),
        ('referrals', '0014_referral_london_days'),
        ('medicines', '0008_isolate_gp_medication_import'),
        ('actions', '0015_alter_action_assignee_role_and_more'),
        ('core', '0002_isolate_governance'),
    ]

    operations = [
        migrations.CreateModel(
            name='FirstContact',
            fields=[
                ('referral_id', models.BigIntegerField(primary_key=True, serialize=False)),
                ('month', models.DateField(help_text='The first day of the London month the referral was made.')),
                ('service', models.CharField(max_length=30)),
                ('triaged_at', models.DateTimeField(null=True)),
                ('first_at', models.DateTimeField(help_text='The first visit or task done since.', null=True)),
                ('contacted', models.BooleanField()),
                ('days', models.SmallIntegerField(null=True)),
                ('network', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='networks.network')),
                ('patient', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='patients.patient')),
            ],
        ),
        migrations.CreateModel(
            name='ContactTally',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('month', models.DateField(help_text='The first day of the London month the referral was made.')),
                ('service', models.CharField(max_length=30)),
                ('contacted', models.BooleanField()),
                ('days', models.SmallIntegerField(null=True)),
                ('n', models.IntegerField(default=0)),
                ('network', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='networks.network')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('network', 'month', 'service', 'contacted', 'days'), name='contact_tally_key', nulls_distinct=False), models.CheckConstraint(condition=models.Q(('month__day', 1)), name='contact_tally_first_day')],
            },
        ),
        migrations.RunSQL(TRIGGERS_SQL, TRIGGERS_REVERSE_SQL, elidable=False),
        rls.isolate("reports_firstcontact", "reports_contacttally"),
        migrations.RunSQL(REBUILD_ALL_SQL, migrations.RunSQL.noop, elidable=False),
    ]
