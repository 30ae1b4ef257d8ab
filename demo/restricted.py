"""The demo's restricted entry (API.md 1.1): a safeguarding disclosure at a phone call, which
only the pharmacist who wrote it, the person's key worker and the chair read; every other
clinical member sees that it exists and may break the glass (the IG lead then reviews it)."""

from datetime import datetime

from medicines.models import Visit
from medicines.services import visit_log


def restricted_visit_seed(*, patient, by, at: datetime) -> Visit:
    return visit_log(
        patient=patient,
        by=by,
        kind="phone",
        visited_at=at,
        summary="Told me in confidence that her son takes her pension and her tablets; "
        "a safeguarding referral was discussed with her and she agreed to it.",
        restricted=True,
        restricted_reason="Safeguarding: disclosure of financial abuse",
    ).visit
