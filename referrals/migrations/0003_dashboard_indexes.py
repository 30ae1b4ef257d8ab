"""The dashboard's referral figures read from a covering index (issue 8). Built
concurrently, so a live referrals table is not locked against writes while it builds."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("referrals", "0002_seed_red_flags"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="referral",
            index=models.Index(
                fields=["network", "created_at"],
                include=(
                    "service",
                    "status",
                    "origin",
                    "decline_reason",
                    "source_organisation",
                    "triaged_at",
                    "id",
                ),
                name="referral_dashboard",
            ),
        ),
    ]
