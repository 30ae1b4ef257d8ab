"""Writing the access trail. Only inserts: the table refuses UPDATE and DELETE."""

from collections.abc import Iterable

from networks.selectors import role_in

from .models import AccessEvent


def access_record(
    *,
    user,
    patients: Iterable,
    what: str,
    channel: str,
    outcome: str = AccessEvent.Outcome.ALLOWED,
    path: str = "",
) -> None:
    """One event per person read (a list writes one row per person shown, in one INSERT)."""
    events = [
        AccessEvent(
            user_id=user.pk,
            username=user.get_username(),
            role=role_in(user, patient.network_id) or "",
            network_id=patient.network_id,
            patient_id=patient.pk,
            what=what,
            channel=channel,
            outcome=outcome,
            path=path[:300],
        )
        for patient in patients
    ]
    if events:
        AccessEvent.objects.bulk_create(events)


def access_refused(
    *, user, patient_ref, what: str, channel: str, outcome: str, path: str = "", patient=None
) -> None:
    """A refused look: `denied` (role may not) or `not_found` (not in the user's networks)."""
    AccessEvent.objects.create(
        user_id=user.pk if user.is_authenticated else None,
        username=user.get_username() if user.is_authenticated else "",
        role=(role_in(user, patient.network_id) or "") if patient else "",
        network_id=patient.network_id if patient else None,
        patient_id=patient.pk if patient else None,
        patient_ref=str(patient_ref)[:40],
        what=what,
        channel=channel,
        outcome=outcome,
        path=path[:300],
    )


def report_export_record(*, user, network_ids: Iterable[int], what: str, path: str = "") -> None:
    """An export of report figures that name no one: one event per network reported on (no
    patient), so each network's access log shows who took its figures away."""
    AccessEvent.objects.bulk_create(
        [
            AccessEvent(
                user_id=user.pk,
                username=user.get_username(),
                role=role_in(user, network_id) or "",
                network_id=network_id,
                what=what,
                channel="export",
                outcome=AccessEvent.Outcome.ALLOWED,
                path=path[:300],
            )
            for network_id in network_ids
        ]
    )
