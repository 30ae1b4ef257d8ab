"""The inbox's index in the inbox's order (urgency descending, then the oldest, then id), so
that its first page is the index's first rows instead of a sort of every new referral of the
service; and an index of accepted referrals for My day and the caseload. Built and dropped
concurrently, so a live referrals table is not locked against writes meanwhile."""

from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
from django.db import migrations, models
from django.db.models import Q


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("referrals", "0014_referral_london_days"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="referral",
            index=models.Index(
                fields=["network", "service", "-urgency", "created_at", "id"],
                condition=Q(status="new"),
                name="referral_inbox_order",
            ),
        ),
        AddIndexConcurrently(
            model_name="referral",
            index=models.Index(
                fields=["network", "service", "triaged_at"],
                condition=Q(status="accepted"),
                name="referral_accepted",
            ),
        ),
        RemoveIndexConcurrently(model_name="referral", name="referral_inbox"),
    ]
