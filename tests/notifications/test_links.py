"""Every notification's link opens for its recipient (issue 15.1): the PIC was sent meeting
notifications linking to pages that refused them.

Each kind (notifications.kinds.KINDS) is made the real way, by the service or sweep that
sends it, for every role that can receive it: one member of each role in a network, each on
the person's care team and the key worker where the rules allow, tasks for every role and
role queue that may have one, referrals by every role that may refer, to every service.
Then each recipient logs in and opens the link: no 403, no 404. A kind nobody received
fails the test, so a new kind must be added here."""

import contextlib
import datetime
from collections import defaultdict

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from actions.reminders import notify_assigned, sweep_overdue_actions
from actions.services import action_create
from audit.digest import unusual_access_notify
from audit.services import access_record, break_glass_record
from core.workdays import is_working_day
from huddles import services as huddles
from huddles.models import Meeting
from huddles.reminders import deliver_minutes, sweep_meetings
from medicines.reminders import sweep_follow_ups_due
from medicines.services import visit_log
from networks.models import Membership
from networks.roles import CASEWORK_ROLES, CLINICAL_ROLES, Role, Service
from notifications.kinds import KINDS
from notifications.models import Notification
from patients.services import care_team_add
from referrals.reminders import sweep_untriaged_referrals
from referrals.services import (
    referral_accept,
    referral_complete,
    referral_create,
    referral_decline,
)
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


def _working_morning(after_days: int) -> datetime.datetime:
    """10:00 on the first working day at least `after_days` from today."""
    day = timezone.localdate() + datetime.timedelta(days=after_days)
    while not is_working_day(day):
        day += datetime.timedelta(days=1)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(10)))


@pytest.fixture
def users(member):
    return {role: member(role) for role in Role.values}


def _tasks(users, patient):
    """A task for each member by name and each role queue (where the rules allow one), each
    told at once (action_assigned / action_queued); the overdue sweep, weeks later, reminds
    their owners (action_overdue) and escalates to the chairs (action_escalated)."""
    chair, gp = users[Role.CHAIR], users[Role.GP]
    today = timezone.localdate()
    for role, user in users.items():
        by = gp if user == chair else chair
        for owner in ({"assignee": user}, {"assignee_role": role}):
            try:
                action = action_create(
                    patient=patient, by=by, title=f"Call ({role}, {owner})", due_on=today, **owner
                )
            except ValidationError:
                assert role not in CASEWORK_ROLES  # only roles without casework are refused
                continue
            notify_assigned(action.pk, by_id=by.pk)
    sweep_overdue_actions(_working_morning(21))


def _follow_ups(users, patient):
    """A follow-up visit due (follow_up_due) for each clinical visitor."""
    morning = _working_morning(3)
    for role in CLINICAL_ROLES:
        visit_log(
            patient=patient,
            by=users[role],
            kind="home",
            visited_at=timezone.now(),
            follow_up_on=timezone.localdate(morning),
        )
    sweep_follow_ups_due(morning)


def _referrals(users, network):
    """Referrals to every service left untriaged (referral_untriaged to the service,
    referral_escalated to the chairs); and one by each referrer accepted, declined and
    completed (the referrer hears each)."""
    for service in Service.values:
        referral_create(
            patient=PatientFactory(network=network),
            service=service,
            reason="Waiting",
            by=users[Role.GP],
        )
    sweep_untriaged_referrals(_working_morning(21))
    chair = users[Role.CHAIR]
    for role in [*CASEWORK_ROLES, Role.PARTNER_SYSTEM]:
        made = []
        for _ in range(3):
            made.append(
                referral_create(
                    patient=PatientFactory(network=network),
                    service=Service.SOCIAL_SERVICES,
                    reason="Needs a package of care",
                    by=users[role],
                ).referral
            )
        referral_accept(referral=made[0], by=chair)
        referral_decline(referral=made[1], by=chair, reason="already_known")
        completed = referral_accept(referral=made[2], by=chair)
        referral_complete(referral=completed, by=chair, outcome="Care package started")


def _meeting(users, network, patient):
    """The person on the agenda: the members involved hear before (meeting_items), the chair
    gets the pack (meeting_pack); after the close, the minutes (meeting_minutes) go to
    everyone marked present and the care team."""
    chair = users[Role.CHAIR]
    meeting = huddles.next_meeting(network)
    item = huddles.agenda_add(meeting=meeting, patient=patient, by=chair, reason="Review")
    sweep_meetings(meeting.starts_at - datetime.timedelta(minutes=30))
    for user in users.values():  # everyone the chair may mark present
        with contextlib.suppress(ValidationError):
            huddles.attendance_set(meeting=meeting, user=user, present=True, by=chair)
    huddles.item_update(item=item, by=chair, notes="Discussed", decision="continue")
    # Held an hour ago (a meeting is closed after it has taken place).
    Meeting.objects.filter(pk=meeting.pk).update(
        starts_at=timezone.now() - datetime.timedelta(hours=1)
    )
    meeting.refresh_from_db()
    huddles.meeting_close(meeting=meeting, by=chair)
    deliver_minutes(meeting.pk)


def _unusual_access(users, network, settings):
    """A member opening more records than the day's limit: the IG lead hears."""
    settings.ICN_UNUSUAL_ACCESS_PER_DAY = 1
    people = [PatientFactory(network=network) for _ in range(3)]
    access_record(user=users[Role.GP], patients=people, what="patient", channel="page")
    unusual_access_notify(day=timezone.localdate())


def _break_glass(users, patient):
    """A GP breaks the glass on a restricted entry the pharmacist wrote: the IG lead and the
    author hear at once."""
    break_glass_record(
        by=users[Role.GP],
        patient=patient,
        reason_code="safeguarding",
        reason="Concern",
        channel="page",
        entry_kind="visit",
        entry_author_id=users[Role.PHARMACIST].pk,
    )


def _webhooks(users, network, settings):
    """A webhook of the chair and one of a partner system, given up on (webhook_abandoned)."""
    from tests.webhooks.receiver import Receiver
    from webhooks.models import Delivery
    from webhooks.services import delivery_send, subscription_create

    settings.WEBHOOK_MAX_ATTEMPTS = 1
    receiver = Receiver(answers=[500, 500]).start()
    try:
        for role in (Role.CHAIR, Role.PARTNER_SYSTEM):
            subscription_create(
                network=network, url=receiver.url, events=["referral.created"], by=users[role]
            )
        # Heard by both: the chair's hears the network, the partner's its own referral.
        referral_create(
            patient=PatientFactory(network=network),
            service=Service.MDT,
            reason="Falls",
            by=users[Role.PARTNER_SYSTEM],
        )
        for delivery in Delivery.objects.filter(status="pending"):
            delivery_send(delivery_id=delivery.pk)
    finally:
        receiver.stop()


def _monthly_report():
    """The commissioner's monthly report (monthly_report), made on a first working day."""
    from reports.monthly import first_working_day, monthly_reports_run

    assert monthly_reports_run(today=first_working_day(2027, 1)) == 1


def test_every_notification_link_opens_for_its_recipient(
    client, users, network, settings, django_capture_on_commit_callbacks
):
    patient = PatientFactory(network=network)
    for user in users.values():  # everyone the rules let on the care team
        with contextlib.suppress(ValidationError):
            care_team_add(
                patient=patient, membership=Membership.objects.get(user=user), by=users["chair"]
            )
    _tasks(users, patient)
    _follow_ups(users, patient)
    _referrals(users, network)
    _meeting(users, network, patient)
    _unusual_access(users, network, settings)
    _webhooks(users, network, settings)
    _monthly_report()
    with django_capture_on_commit_callbacks(execute=True):
        _break_glass(users, patient)

    role_of = {user.pk: role for role, user in users.items()}
    opened: dict[str, set[str]] = defaultdict(set)
    broken = []
    for notification in Notification.objects.order_by("kind", "recipient_id", "pk"):
        assert notification.url, notification.kind
        client.force_login(notification.recipient)
        status = client.get(notification.url.split("#")[0]).status_code
        role = role_of[notification.recipient_id]
        opened[notification.kind].add(role)
        if status in (403, 404):
            broken.append((notification.kind, role, notification.url, status))
    assert broken == [], "\n".join(map(str, broken))
    assert set(opened) == set(KINDS), set(KINDS) - set(opened)
    # The PIC (issue 15.1) hears of the meetings and their minutes, and can open them.
    assert {"meeting_items", "meeting_minutes"} <= {k for k, r in opened.items() if "pic" in r}
