"""`manage.py generate_synthetic`: synthetic data at scale, tried here at a tiny size."""

from datetime import date
from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.models import Count, F, Q

from actions.models import Action
from core import nhs_number
from core.workdays import working_days_between
from demo.synthetic.deleting import delete_synthetic
from huddles.models import AgendaItem, Attendance, Episode, Meeting
from medicines.models import Visit
from networks.models import Membership, Network, Organisation
from networks.roles import Role
from patients.models import FrailtyAssessment, Goal, Patient
from referrals.models import PatientFlag, Referral
from reports.models import AdmissionEvent, PracticePopulation
from reports.population import network_population
from tests.factories import (
    MembershipFactory,
    NetworkFactory,
    OrganisationFactory,
    PatientFactory,
    UserFactory,
)

User = get_user_model()
TODAY = date(2026, 3, 4)  # a Wednesday
TINY = {
    "people": 200,
    "networks": 2,
    "practices": 4,
    "months": 6,
    "seed": 7,
    "today": TODAY,
    "yes": True,
    "force": True,  # the test settings have DEBUG off
}


def generate(**options) -> str:
    out = StringIO()
    call_command("generate_synthetic", stdout=out, **{**TINY, **options})
    return out.getvalue()


def synthetic_networks():
    return Network.objects.filter(slug__startswith="synthetic-")


def fingerprint() -> str:
    """The content of the synthetic data, without ids (which differ from run to run)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT md5(string_agg(concat_ws('|', p.nhs_number, p.given_name, p.family_name,
                       p.date_of_birth, p.frailty, r.service, r.status, r.created_at,
                       r.triaged_at, r.closed_at, r.decline_reason, r.reason),
                       E'\\n' ORDER BY p.nhs_number, r.created_at, r.service)),
                   (SELECT md5(string_agg(concat_ws('|', a.title, a.due_on, a.status,
                           a.assignee_role, a.created_at), E'\\n'
                           ORDER BY a.created_at, a.title, a.due_on))
                    FROM actions_action a JOIN networks_network n ON n.id = a.network_id
                    WHERE n.slug LIKE 'synthetic-%%'),
                   (SELECT count(*) FROM huddles_agendaitem i
                    JOIN huddles_meeting m ON m.id = i.meeting_id
                    JOIN networks_network n ON n.id = m.network_id
                    WHERE n.slug LIKE 'synthetic-%%')
            FROM patients_patient p
            JOIN networks_network n ON n.id = p.network_id
            JOIN referrals_referral r ON r.patient_id = p.id
            WHERE n.slug LIKE 'synthetic-%%'
            """
        )
        return "/".join(str(value) for value in cursor.fetchone())


@pytest.mark.django_db
def test_generates_networks_staff_people_and_their_history():
    output = generate()
    nets = synthetic_networks()
    assert nets.count() == 2
    assert {n.vocabulary for n in nets} == {"icn", "hub"}
    assert Organisation.objects.filter(code__startswith="SYN-GP-", kind="gp_practice").count() == 4
    assert Organisation.objects.filter(code__startswith="SYN-", kind="care_home").count() == 8

    # Staff: 25 per network, every role, usernames synthetic.<role>.<n>.<network>, none of
    # whom can log in; and one commissioner of both networks.
    members = Membership.objects.filter(network__in=nets)
    assert members.count() == 2 * 25 + 2
    for net in nets:
        assert set(members.filter(network=net).values_list("role", flat=True)) == set(Role.values)
    commissioner = User.objects.get(username="synthetic.commissioner.1.borough")
    assert set(commissioner.memberships.values_list("network", "role")) == {
        (net.pk, "commissioner") for net in nets
    }
    staff = User.objects.filter(username__startswith="synthetic.")
    assert staff.count() == 51
    assert not any(user.has_usable_password() for user in staff)
    assert staff.filter(username__regex=r"^synthetic\.[a-z_]+\.[0-9]+\.[a-z0-9-]+$").count() == 51

    # People: exactly as many as asked for, valid NHS numbers from the 999 range, unique, aged
    # 65 to 100.
    people = Patient.objects.filter(network__in=nets)
    assert people.count() == 200
    numbers = list(people.values_list("nhs_number", flat=True))
    assert len(set(numbers)) == 200
    assert all(n.startswith("999") and nhs_number.is_valid(n) for n in numbers)
    for born in people.values_list("date_of_birth", flat=True):
        assert 65 <= (TODAY - born).days / 365.25 <= 101
    assert people.filter(care_home__isnull=False).exists()
    assert not people.exclude(consent_mdt="not_asked").filter(consent_recorded_at__isnull=True)
    # Consent as ICN's rules require (issue 17): PIC referrals only with consent to share,
    # no agenda for one who refused discussion, a best-interests decision names who took it.
    assert not people.filter(referrals__service="pic").exclude(
        consent_sharing__in=["given", "best_interest"]
    )
    assert not people.filter(consent_mdt="refused", agenda_items__isnull=False)
    best = people.filter(consent_sharing="best_interest")
    assert best.exists() and not best.filter(consent_best_interest_by="")
    assert set(people.values_list("frailty", flat=True)) >= {"fit", "mild", "moderate", "severe"}

    # Referrals: exactly as many, in every state, triaged a few working days after they came.
    referrals = Referral.objects.filter(network__in=nets)
    assert referrals.count() == 2000
    statuses = dict(referrals.values_list("status").annotate(n=Count("id")))
    assert set(statuses) == {"new", "accepted", "completed", "declined", "withdrawn"}
    assert statuses["accepted"] + statuses["completed"] > 0.6 * 2000
    assert referrals.filter(origin="red_flag").exists()
    assert referrals.filter(status="declined", decline_reason="").count() == 0
    waits = sorted(
        working_days_between(r.created_at.date(), r.triaged_at.date())
        for r in referrals.filter(triaged_at__isnull=False).only("created_at", "triaged_at")
    )
    assert waits[len(waits) // 2] <= 3
    assert not referrals.filter(triaged_at__lt=F("created_at")).exists()
    assert not referrals.filter(closed_at__lt=F("created_at")).exists()
    assert PatientFlag.objects.filter(patient__network__in=nets).exists()

    # MDT episodes, meetings with agendas, attendance, decisions.
    episodes = Episode.objects.filter(network__in=nets)
    assert episodes.filter(closed_at__isnull=False).exclude(admission_avoided="").exists()
    assert not episodes.filter(closed_at__isnull=False, admission_avoided="").exists()
    meetings = Meeting.objects.filter(network__in=nets)
    assert meetings.filter(status="closed").exists()
    assert meetings.filter(status="scheduled").exists()
    items = AgendaItem.objects.filter(meeting__network__in=nets)
    assert items.filter(status="discussed", decision="discharge").exists()
    assert items.filter(status="not_reached").exists() or items.count() < 50
    assert Attendance.objects.filter(meeting__network__in=nets).exists()

    # Visits with observations, tasks open and done (some overdue), goals, admissions.
    visits = Visit.objects.filter(network__in=nets)
    assert visits.filter(news2_score__isnull=False, news2_complete=True).exists()
    actions = Action.objects.filter(network__in=nets)
    assert actions.filter(status="open", due_on__lt=TODAY).exists()
    assert actions.filter(status="open", due_on__gte=TODAY).exists()
    assert actions.filter(status="done").exists()
    assert actions.filter(assignee__isnull=True).exists()
    assert actions.filter(assignee__isnull=False).exists()
    assert Goal.objects.filter(patient__network__in=nets).exists()
    assert AdmissionEvent.objects.filter(network__in=nets, kind="emergency").exists()
    # Denominators: each practice's list size every month whose figures are out (the history
    # starts 4 September 2025; February's file came on 3 March), the people in ICN a frail
    # minority of those registered: about 22 to 38 registered for each (30 on average, the
    # networks' referrals per person drawn between 0.75 and 1.25 of the mean), growing slowly.
    months = [date(2025, m, 1) for m in (9, 10, 11, 12)] + [date(2026, m, 1) for m in (1, 2)]
    for net in nets:
        practices = set(net.gp_practices.values_list("pk", flat=True))
        assert len(practices) == 2
        lists = PracticePopulation.objects.filter(practice__in=practices)
        assert sorted(lists.values_list("practice", "month")) == sorted(
            (p, m) for p in practices for m in months
        )
        population = network_population(net, months[0], months[-1])
        people = Patient.objects.filter(network=net).count()
        for month in population.values():
            assert 18 * people < month["registered"] < 45 * people
        sizes = [population[m]["registered"] for m in months]
        assert sizes[0] <= sizes[-1] <= sizes[0] * 1.02  # ~0.1% a month
    assert not PracticePopulation.objects.filter(month__gt=date(2026, 2, 1)).exists()

    # Comparison groups (reports/evaluation.py): a quarter of MDT referrals not taken on
    # (declined or withdrawn), many of those people never on the caseload, with frailty
    # assessed and emergency admissions before their referral like the caseload's.
    mdt = referrals.filter(service="mdt").exclude(decline_reason="already_known")
    decided = mdt.filter(status__in=["accepted", "completed", "declined", "withdrawn"])
    not_taken = decided.filter(status__in=["declined", "withdrawn"])
    assert 0.12 * decided.count() < not_taken.count() < 0.4 * decided.count()
    never = Patient.objects.filter(referrals__in=not_taken).exclude(episodes__isnull=False)
    # (at this size the MDT has a large share of the referrals: many are referred to it twice)
    assert never.distinct().count() >= 0.3 * not_taken.values("patient").distinct().count()
    assert FrailtyAssessment.objects.filter(patient__in=never).exists()
    assert AdmissionEvent.objects.filter(
        patient__in=never, kind="emergency", admitted_on__lt=TODAY
    ).exists()

    # No history for synthetic rows.
    assert apps.get_model("patients", "PatientEvent").objects.count() == 0
    assert apps.get_model("referrals", "ReferralEvent").objects.count() == 0
    # And the output says how it went.
    assert "rows/s" in output
    assert "referrals_referral" in output


@pytest.mark.django_db
def test_the_same_seed_gives_the_same_data_and_another_seed_other_data():
    generate()
    first = fingerprint()
    generate(replace=True)
    assert fingerprint() == first
    generate(replace=True, seed=8)
    assert fingerprint() != first


@pytest.mark.django_db
def test_row_by_row_checks_give_the_same_data():
    generate()
    first = fingerprint()
    output = generate(replace=True, no_replica=True)
    assert "checked by their triggers" in output
    assert fingerprint() == first


@pytest.mark.django_db
def test_replace_removes_only_synthetic_rows():
    # A network of real (demo) data, and a real user who joined a synthetic network.
    real = NetworkFactory(slug="thornton-heath")
    gp = OrganisationFactory(code="TH-GP-01", kind="gp_practice")
    real_user = UserFactory(username="pharmacist.thornton-heath")
    MembershipFactory(user=real_user, network=real, role="pharmacist")
    real_patient = PatientFactory(network=real, gp_practice=gp)
    real_task = Action.objects.create(
        network=real,
        patient=real_patient,
        title="Real task",
        due_on=TODAY,
        assignee=real_user,
        created_by=real_user,
    )
    generate()
    MembershipFactory(user=real_user, network=synthetic_networks().first(), role="gp")
    before = {
        "networks": Network.objects.exclude(slug__startswith="synthetic-").count(),
        "users": User.objects.exclude(username__startswith="synthetic.").count(),
        "organisations": Organisation.objects.exclude(code__startswith="SYN-").count(),
        "patients": Patient.objects.exclude(network__slug__startswith="synthetic-").count(),
    }
    deleted = delete_synthetic()
    assert deleted["patients_patient"] == 200
    assert deleted["referrals_referral"] == 2000
    assert not synthetic_networks().exists()
    assert not User.objects.filter(username__startswith="synthetic.").exists()
    assert not Organisation.objects.filter(code__startswith="SYN-").exists()
    assert Network.objects.filter(pk=real.pk).exists()
    assert Action.objects.filter(pk=real_task.pk).exists()
    assert Patient.objects.get(pk=real_patient.pk).gp_practice == gp
    # The real user stays; their membership of the synthetic network went with it.
    assert list(real_user.memberships.values_list("network", flat=True)) == [real.pk]
    assert before == {
        "networks": Network.objects.exclude(slug__startswith="synthetic-").count(),
        "users": User.objects.exclude(username__startswith="synthetic.").count(),
        "organisations": Organisation.objects.exclude(code__startswith="SYN-").count(),
        "patients": Patient.objects.exclude(network__slug__startswith="synthetic-").count(),
    }
    generate()  # and it can be generated again
    assert Patient.objects.filter(network__slug__startswith="synthetic-").count() == 200


@pytest.mark.django_db
def test_refuses_to_run_where_it_should_not(settings, monkeypatch):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG is off"):
        generate(force=False)
    settings.DEBUG = True
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    with pytest.raises(CommandError, match="--yes"):
        generate(force=False, yes=False)
    assert not synthetic_networks().exists()

    generate(people=20, referrals=100, networks=1, force=False)
    with pytest.raises(CommandError, match="already exists"):
        generate(people=20, referrals=100, networks=1, force=False)
    with pytest.raises(CommandError, match="staff-per-network"):
        generate(staff_per_network=5, replace=True)


@pytest.mark.django_db
def test_password_lets_synthetic_users_log_in():
    generate(people=20, referrals=100, networks=1, password="try-it-out-please")
    user = User.objects.get(username__startswith="synthetic.pharmacist.1.")
    assert user.check_password("try-it-out-please")
    assert not Patient.objects.filter(
        Q(network__slug__startswith="synthetic-"), ~Q(nhs_number__startswith="999")
    ).exists()
