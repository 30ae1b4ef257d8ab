"""The start page: `/` (and where log-in lands unless `next` says otherwise) sends each member
to the page their role starts the day on. It lives in the shell because it reads several
domains (the chair's next meeting)."""

from django.shortcuts import redirect

from huddles.models import Meeting
from huddles.selectors import upcoming
from networks.access import member_required
from networks.current import current_membership
from networks.roles import Role

# Roles whose day starts on one fixed page. Everyone else who works with people's records
# (GP, social worker, nurses, therapists, the hospital consultant, the PIC) starts on My work:
# their tasks, their role queue and what waits in their triage inbox.
START_PAGES = {
    Role.PHARMACIST: "medicines:my_day",
    Role.PHARMACY_TECHNICIAN: "medicines:my_day",
    Role.MANAGER: "reports:dashboard",
    # Manages the network's health and social care staff: how the network is doing first; My
    # work and the Referrals inbox are one click away.
    Role.INTEGRATED_MANAGER: "reports:dashboard",
    Role.IG_LEAD: "audit:log",
    # Reads reports across the networks they commission, never a record.
    Role.COMMISSIONER: "reports:networks",
    # Their own care home's residents, the only records they open.
    Role.CARE_HOME_STAFF: "patients:list",
    # An API account: a person signed in as one is setting up the integration.
    Role.PARTNER_SYSTEM: "api:docs",
}


@member_required
def home(request):
    """My day for pharmacy, the next meeting for the chair (the one under way, else the next
    scheduled; the meetings list if none), reports for managers, the access trail for the IG
    lead, My work for everyone else who does casework."""
    membership = current_membership(request)
    if membership.role == Role.CHAIR:
        meeting = (
            upcoming(Meeting.objects.filter(network=membership.network))
            .order_by("starts_at")
            .first()
        )
        if meeting is None:
            return redirect("huddles:list")
        return redirect("huddles:agenda", pk=meeting.pk)
    return redirect(START_PAGES.get(membership.role, "actions:my_work"))
