"""The per-service waiting list and working days from acceptance to first contact (issue
#14.2), computed by hand on a small fixture; two queries however many rows. Read from the
counts kept as referrals, visits and tasks change (tests/reports/test_first_contact.py)."""

import datetime
from zoneinfo import ZoneInfo

import pytest

from actions.models import Action
from medicines.models import Visit
from referrals.models import Referral
from reports.figures import Scope, service_waits
from tests.factories import ActionFactory, PatientFactory, UserFactory
from tests.referrals.factories import ReferralFactory

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")
CLINIC = "mental_health_pharmacy"


def london(*args):
    return datetime.datetime(*args, tzinfo=LONDON)


@pytest.fixture
def world(network, other_network):
    visitor = UserFactory()

    def referral(service, status, made, accepted=None, net=network):
        ref = ReferralFactory(patient=PatientFactory(network=net), service=service)
        Referral.objects.filter(pk=ref.pk).update(
            created_at=made,
            status=status,
            triaged_at=accepted,
            triaged_by=ref.referred_by if accepted else None,
            closed_at=london(2026, 3, 20, 9) if status in ("completed", "withdrawn") else None,
            decline_reason="other" if status == "declined" else "",
        )
        return ref

    def visit(ref, at):
        Visit.objects.create(
            network=ref.network, patient=ref.patient, kind="home", visitor=visitor, visited_at=at
        )

    def done(ref, at):
        task = ActionFactory(patient=ref.patient)
        Action.objects.filter(pk=task.pk).update(status="done", done_at=at)

    # Accepted Tue 3 Mar; a visit before it does not count; visited Fri 6 Mar: 3 working days.
    a = referral(CLINIC, "accepted", london(2026, 3, 2, 10), london(2026, 3, 3, 10))
    visit(a, london(2026, 3, 2, 15))
    visit(a, london(2026, 3, 6, 11))
    visit(a, london(2026, 3, 10, 11))
    # Completed; accepted Tue 3 Mar; a task done Mon 9 Mar (Wed, Thu, Fri, Mon): 4; a later
    # visit does not matter, the first contact does.
    b = referral(CLINIC, "completed", london(2026, 3, 2, 10), london(2026, 3, 3, 12))
    done(b, london(2026, 3, 9, 9))
    visit(b, london(2026, 3, 12, 9))
    # Accepted, not contacted yet: on the waiting list, accepted, not contacted.
    referral(CLINIC, "accepted", london(2026, 3, 4, 10), london(2026, 3, 4, 12))
    # New: waiting. Withdrawn and declined: neither waiting nor accepted.
    referral(CLINIC, "new", london(2026, 3, 5, 10))
    referral(CLINIC, "withdrawn", london(2026, 3, 5, 10))
    referral(CLINIC, "declined", london(2026, 3, 5, 10), london(2026, 3, 5, 11))
    # Accepted in February (before the period): waiting, but not in the period's contacts.
    referral(CLINIC, "accepted", london(2026, 2, 10, 10), london(2026, 2, 11, 10))
    # Medicines optimisation: accepted Fri 6 Mar, visited Mon 9 Mar: 1 working day.
    m = referral(
        "medicines_optimisation", "accepted", london(2026, 3, 6, 9), london(2026, 3, 6, 10)
    )
    visit(m, london(2026, 3, 9, 10))
    # Another network's referral is never counted.
    referral(CLINIC, "new", london(2026, 3, 5, 10), net=other_network)
    return network


def test_waiting_list_and_first_contact_per_service_by_hand(world, django_assert_num_queries):
    scope = Scope((world.pk,), datetime.date(2026, 3, 1), datetime.date(2026, 3, 1))
    # Two however many rows: the waiting list and first contact, both from stored counts.
    with django_assert_num_queries(2):
        rows = service_waits(scope)
    by = {r["service"]: r for r in rows}
    assert by[CLINIC] == {
        "service": CLINIC,
        "waiting_new": 1,
        "waiting_accepted": 3,  # two in March, one in February
        "waiting": 4,
        "accepted": 3,  # made in March and accepted (one since completed)
        "contacted": 2,
        "first_contact_median": 3.5,
        "first_contact_p90": pytest.approx(3.9),
    }
    assert by["medicines_optimisation"]["first_contact_median"] == 1
    assert by["medicines_optimisation"]["waiting"] == 1
    assert set(by) == {CLINIC, "medicines_optimisation"}

    only = service_waits(Scope((world.pk,), scope.first, scope.last, CLINIC))
    assert [r["service"] for r in only] == [CLINIC]


def test_dashboard_page_and_api_show_the_figures_at_constant_queries(
    client, api, member, world, django_assert_max_num_queries
):
    from referrals.services import service_save

    chair = member("chair")
    service_save(
        network=world,
        by=chair,
        code=CLINIC,
        label="Mental health pharmacy clinic",
        accepts="",
        serving_roles=["pharmacist"],
        active=True,
        adding=True,
    )
    client.force_login(chair)
    query = {"from": "2026-03", "to": "2026-03"}
    client.get("/reports/", query)
    with django_assert_max_num_queries(40) as captured:
        page = client.get("/reports/", query)
    assert page.status_code == 200
    body = page.content.decode()
    assert "Waiting lists and first contact" in body
    assert "Mental health pharmacy clinic" in body
    queries = len(captured.captured_queries)
    # Twice the referrals, the same number of queries.
    for ref in list(Referral.objects.filter(network=world)):
        ReferralFactory(patient=PatientFactory(network=world), service=ref.service)
    with django_assert_max_num_queries(queries):
        client.get("/reports/", query)

    data = api(chair).get("/api/v1/reports/dashboard/", query).json()
    clinic = next(r for r in data["service_waits"] if r["service"] == CLINIC)
    assert clinic["contacted"] == 2 and clinic["first_contact_median"] == 3.5
    assert "triage_working_days" in data
    csv = client.get("/reports/export/service_waits.csv", query)
    # The CSV carries codes (as the triage table's does); the twice-as-many referrals are new.
    assert csv.status_code == 200
    assert f"{CLINIC},8,3,11,3,2,3.5,3.9" in csv.content.decode()
