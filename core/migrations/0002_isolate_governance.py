"""Row-level security on the tables #17 added: break-glass grants, subject access requests
and erasure tombstones (each keyed by its own network)."""

from django.db import migrations

from core import rls


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_row_level_security"),
        ("audit", "0009_break_glass"),
        ("governance", "0001_initial"),
    ]

    operations = [
        rls.isolate("audit_breakglass", "governance_subjectaccessrequest", "governance_erasure")
    ]
