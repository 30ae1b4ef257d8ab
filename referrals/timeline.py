"""The referrals' part of the person's timeline (port settings.ICN_PORTS["person_timeline"]:
patients sits on a floor below): each referral made, accepted or declined, completed with
its outcome, or withdrawn. Only the referrals the user may see (referrals_visible_to: the
PIC sees those to the PIC service and those they made), as on the person's page."""

from typing import Any

from django.urls import reverse

from patients.timeline import Entry

from .models import Referral
from .selectors import label_from, network_directory_for, referrals_visible_to


def person_timeline(user: Any, patient: Any) -> list[Entry]:
    """Up to four entries a referral, in one query."""
    referrals = list(
        referrals_visible_to(user).filter(patient=patient).select_related("source_organisation")
    )
    # The services as the person's network names them (no query where the navigation ran).
    label_from(referrals, network_directory_for(user, patient.network_id))
    page = reverse("patients:detail", args=[patient.pk])
    entries = []
    for referral in referrals:
        service = referral.service_label
        link = f"{page}#referral-{referral.pk}"
        made = [referral.reason]
        if referral.origin == Referral.Origin.RED_FLAG:
            made.append("From a red flag")
        # Someone outside the network is named as recorded; a member by name and role.
        outside = ", ".join(
            part
            for part in (
                referral.source_organisation.name if referral.source_organisation else "",
                referral.source_contact,
            )
            if part
        )
        urgent = " (urgent)" if referral.urgency == "urgent" else ""
        entries.append(
            Entry(
                when=referral.created_at,
                kind="referral",
                title=f"Referred to {service}{urgent}",
                detail=tuple(made),
                link=link,
                who=outside,
                who_id=None if outside else referral.referred_by_id,
            )
        )
        if referral.triaged_at:
            declined = bool(referral.decline_reason)
            why = referral.get_decline_reason_display()
            if referral.decline_note:
                why += f": {referral.decline_note}"
            entries.append(
                Entry(
                    when=referral.triaged_at,
                    kind="referral",
                    title=f"{service} {'declined' if declined else 'accepted'} the referral",
                    detail=(f"Why: {why}",) if declined else (),
                    link=link,
                    who_id=referral.triaged_by_id,
                )
            )
        if referral.closed_at and referral.status in (
            Referral.Status.COMPLETED,
            Referral.Status.WITHDRAWN,
        ):
            completed = referral.status == Referral.Status.COMPLETED
            entries.append(
                Entry(
                    when=referral.closed_at,
                    kind="referral",
                    title=f"{service} referral {'completed' if completed else 'withdrawn'}",
                    # A withdrawal's note says why (consent to share withdrawn).
                    detail=(
                        (f"Outcome: {referral.outcome}" if completed else referral.outcome,)
                        if referral.outcome
                        else ()
                    ),
                    link=link,
                    who_id=referral.closed_by_id,
                )
            )
    return entries
