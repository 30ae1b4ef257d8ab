"""Bring one person's record in from a FHIR Bundle file (what Patient/{id}/$everything
gives) into a network: `manage.py import_fhir_record record.json --network purbeck --by
chair.purbeck`. Nothing is saved if any resource cannot be brought in."""

import json
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

from core.rls import SystemScopeCommand
from interop.outcome import FhirError
from interop.transfer import record_import
from networks.models import Network


class Command(SystemScopeCommand):
    help = "Bring one person's record in from a FHIR Bundle (JSON) into a network."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--network", required=True, help="The network's slug.")
        parser.add_argument("--by", required=True, help="Username of who brings it in.")

    def handle(self, *args: Any, **options: Any) -> None:
        network = Network.objects.filter(slug=options["network"]).first()
        if network is None:
            raise CommandError(f"No network {options['network']!r}.")
        by = get_user_model().objects.filter(username=options["by"]).first()
        if by is None or not by.memberships.filter(network=network, is_active=True).exists():
            raise CommandError(f"{options['by']!r} is not an active member of {network.slug}.")
        try:
            bundle = json.loads(options["file"].read_text())
        except (OSError, ValueError) as exc:
            raise CommandError(f"Cannot read {options['file']}: {exc}") from exc
        try:
            patient = record_import(bundle=bundle, network=network, by=by)
        except FhirError as exc:
            raise CommandError("; ".join(_text(i) for i in exc.issues)) from exc
        self.stdout.write(f"Brought in Patient/{patient.pk} into {network.slug}.")


def _text(issue: str | tuple[str, str]) -> str:
    if isinstance(issue, str):
        return issue
    text, where = issue
    return f"{text} ({where})" if where else text
