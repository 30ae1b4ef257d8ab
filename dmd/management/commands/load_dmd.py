from django.core.management.base import BaseCommand, CommandError

from dmd.services import ReleaseError, dmd_release_load


class Command(BaseCommand):
    help = (
        "Load the NHSBSA dm+d release (a folder or .zip holding f_vtm2_*.xml, f_vmp2_*.xml, "
        "f_amp2_*.xml and optionally f_lookup2_*.xml) into the dm+d lookup tables. Idempotent; "
        "all or nothing. The repository's extract is dmd/fixtures/release/."
    )

    def add_arguments(self, parser):
        parser.add_argument("source", help="The release's folder or .zip file.")

    def handle(self, *args, source, **options):
        try:
            loaded = dmd_release_load(source=source)
        except ReleaseError as exc:
            raise CommandError(f"Nothing loaded: {exc}") from exc
        for part, counts in loaded.counts.items():
            self.stdout.write(f"{part.upper()}: {counts}")
