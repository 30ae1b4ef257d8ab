"""`manage.py seed_demo`: the demo data of API.md, created idempotently."""

from datetime import date, timedelta
from io import StringIO

import pghistory.models
import pytest
from django.apps import apps
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.db.models import Q
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from actions.models import Action
from core import nhs_number
from core.workdays import is_working_day
from huddles.models import Meeting
from networks.models import Membership, Network, Organisation
from networks.roles import Role
from patients.models import CareTeamMember, Consent, FrailtyAssessment, Patient

User = get_user_model()
SLUGS = ("thornton-heath", "purbeck")


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    models = [
        Network,
        Network.gp_practices.through,
        Network.care_homes.through,
        Organisation,
        User,
        Membership,
        Patient,
        FrailtyAssessment,
        CareTeamMember,
        Action,
        apps.get_model("notifications", "Notification"),
        apps.get_model("huddles", "Guest"),
        apps.get_model("reports", "PracticePopulation"),
    ]
    result = {model._meta.label: model.objects.count() for model in models}
    # History: an unchanged re-run must not write any pghistory events either.
    for model in apps.get_models():
        if issubclass(model, pghistory.models.Event) and not model._meta.proxy:
            result[model._meta.label] = model.objects.count()
    return result


def can_log_in(username: str, password: str) -> bool:
    request = RequestFactory().post("/accounts/login/")
    return authenticate(request=request, username=username, password=password) is not None


@pytest.mark.django_db
def test_creates_both_networks_with_their_vocabulary_and_cadence():
    output = seed()

    thornton = Network.objects.get(slug="thornton-heath")
    assert thornton.name == "Thornton Heath"
    assert thornton.vocabulary == "icn"
    assert thornton.cadence == "fortnightly"
    assert thornton.meeting_weekdays == [1]
    assert thornton.meeting_time.strftime("%H:%M") == "13:00"
    assert thornton.terminology["meeting"] == "huddle"

    purbeck = Network.objects.get(slug="purbeck")
    assert purbeck.name == "Purbeck"
    assert purbeck.vocabulary == "hub"
    assert purbeck.cadence == "twice_weekly"
    assert purbeck.meeting_weekdays == [0, 3]
    assert purbeck.meeting_time.strftime("%H:%M") == "09:30"
    assert purbeck.terminology["meeting"] == "virtual ward"

    for network in (thornton, purbeck):
        practices = network.gp_practices.all()
        assert practices.count() == 3
        assert all(p.kind == Organisation.Kind.GP_PRACTICE for p in practices)
    assert Organisation.objects.get(code="RJ6-DEMO").kind == Organisation.Kind.NHS_TRUST
    assert "created" in output


@pytest.mark.django_db
def test_one_user_per_role_per_network_with_an_active_membership():
    seed()

    users = User.objects.filter(
        Q(username__endswith=".thornton-heath") | Q(username__endswith=".purbeck")
    )
    assert users.count() == User.objects.count() == 34 == len(Role.values) * len(SLUGS)
    for slug in SLUGS:  # one information governance lead per network
        assert User.objects.get(username=f"ig_lead.{slug}").memberships.get().role == "ig_lead"
    assert not User.objects.filter(is_superuser=True).exists()
    for slug in SLUGS:
        for role in Role.values:
            user = User.objects.get(username=f"{role}.{slug}")
            assert user.email == f"{role}.{slug}@example.nhs.uk"
            assert user.first_name and user.last_name
            assert not user.is_staff
            memberships = list(Membership.objects.filter(user=user, network__slug=slug))
            assert len(memberships) == 1
            membership = memberships[0]
            assert membership.network.slug == slug
            assert membership.role == role
            assert membership.is_active
            assert membership.organisation is not None

    # The first network's commissioner also commissions the other (networks side by side);
    # every other member is in one network.
    commissioner = User.objects.get(username="commissioner.thornton-heath")
    assert {(m.network.slug, m.role) for m in commissioner.memberships.all()} == {
        ("thornton-heath", "commissioner"),
        ("purbeck", "commissioner"),
    }
    assert Membership.objects.count() == len(Role.values) * len(SLUGS) + 1

    def org_kind(role: str, slug: str) -> str:
        return Membership.objects.get(user__username=f"{role}.{slug}").organisation.kind

    for slug in SLUGS:
        assert org_kind("social_worker", slug) == Organisation.Kind.COUNCIL
        assert org_kind("pic", slug) == Organisation.Kind.VOLUNTARY_SECTOR
        assert org_kind("community_nurse", slug) == Organisation.Kind.NHS_TRUST
        assert org_kind("gp", slug) == Organisation.Kind.GP_PRACTICE


@pytest.mark.django_db
def test_patients_are_fictional_and_valid():
    seed()

    for slug in SLUGS:
        network = Network.objects.get(slug=slug)
        patients = list(Patient.objects.filter(network=network))
        assert len(patients) == 8
        chair = User.objects.get(username=f"chair.{slug}")
        for patient in patients:
            assert nhs_number.is_valid(patient.nhs_number)
            assert patient.nhs_number.startswith("999")
            assert date(1930, 1, 1) <= patient.date_of_birth <= date(1950, 12, 31)
            assert patient.caseload_reason
            assert patient.created_by == chair
            assert 2 <= patient.care_team.count() <= 3
            assert patient.gp_practice in network.gp_practices.all()
            if patient.care_home is not None:
                assert patient.care_home in network.care_homes.all()
            if patient.key_worker is not None:
                assert patient.key_worker.network == network
        recorded = [p for p in patients if p.consent_mdt != Consent.NOT_ASKED]
        assert len(recorded) > len(patients) / 2
        assert all(p.consent_recorded_by == chair for p in recorded)
        assert any(p.care_home is not None for p in patients)
        assert any(p.key_worker is not None for p in patients)
        # Care home staff: one of the network's care homes, with residents to see there.
        carer = Membership.objects.get(user__username=f"care_home_staff.{slug}")
        assert carer.care_home == carer.organisation
        assert carer.care_home in network.care_homes.all()
        assert any(p.care_home == carer.care_home for p in patients)
        # Past meetings name their guests (not members), as the minutes show them.
        past = Meeting.objects.filter(network=network, status="closed")
        assert past.exists()
        assert all(m.guests.count() == 1 for m in past)
    all_numbers = list(Patient.objects.values_list("nhs_number", flat=True))
    assert len(set(all_numbers)) == len(all_numbers) == 16


@pytest.mark.django_db
def test_open_actions_for_members_and_role_queues():
    seed()

    today = timezone.localdate()
    for slug in SLUGS:
        # The tasks agreed at past meetings (the person's timeline) were done long ago.
        agreed = Action.objects.filter(network__slug=slug, source=Action.Source.MEETING)
        assert agreed.exists() and not agreed.exclude(status=Action.Status.DONE).exists()
        actions = Action.objects.filter(network__slug=slug).exclude(source=Action.Source.MEETING)
        assert actions.count() >= 3
        assert all(a.status == Action.Status.OPEN for a in actions)
        assert all(a.due_on <= today + timedelta(days=14) for a in actions)
        if slug == "thornton-heath":  # two overdue, for the reminder sweeps to chase
            assert actions.filter(due_on__lt=today).count() == 2
        assert actions.filter(assignee__username=f"pharmacist.{slug}").exists()
        assert actions.filter(assignee__isnull=True, assignee_role="social_worker").exists()
        assert all(a.patient.network.slug == slug for a in actions)


@pytest.mark.django_db
def test_running_twice_changes_nothing():
    seed()
    before = counts()
    before_updated = {p.nhs_number: p.updated_at for p in Patient.objects.all()}

    output = seed()

    assert counts() == before
    assert {p.nhs_number: p.updated_at for p in Patient.objects.all()} == before_updated
    assert " created" not in output
    assert " updated" not in output


@pytest.mark.django_db
def test_rerun_restores_changed_demo_data():
    seed()
    membership = Membership.objects.get(user__username="pharmacist.purbeck")
    membership.is_active = False
    membership.deactivated_at = timezone.now()
    membership.save()
    Network.objects.filter(slug="purbeck").update(cadence="weekly")

    seed()

    membership.refresh_from_db()
    assert membership.is_active and membership.deactivated_at is None
    assert Network.objects.get(slug="purbeck").cadence == "twice_weekly"


@pytest.mark.django_db
def test_demo_user_logs_in_with_demo_password(settings):
    seed()

    client = Client()
    response = client.post(
        reverse("login"),
        {"username": "pharmacist.thornton-heath", "password": settings.ICN_DEMO_PASSWORD},
    )
    assert response.status_code == 302
    assert client.session.get("_auth_user_id") == str(
        User.objects.get(username="pharmacist.thornton-heath").pk
    )
    assert not can_log_in("pharmacist.thornton-heath", "not-the-demo-password")


@pytest.mark.django_db
def test_changed_demo_password_takes_effect_on_rerun(settings):
    settings.ICN_DEMO_PASSWORD = "first-demo-password-1"
    seed()
    assert can_log_in("pic.purbeck", "first-demo-password-1")

    settings.ICN_DEMO_PASSWORD = "second-demo-password-2"
    seed()

    assert can_log_in("pic.purbeck", "second-demo-password-2")
    assert can_log_in("chair.thornton-heath", "second-demo-password-2")
    assert not can_log_in("pic.purbeck", "first-demo-password-1")
    response = Client().post(
        reverse("login"), {"username": "pic.purbeck", "password": "second-demo-password-2"}
    )
    assert response.status_code == 302


@pytest.mark.django_db
def test_demo_referrals_fill_the_inboxes_and_show_each_outcome():
    from referrals.models import PatientFlag, Referral, ServiceConfig

    seed()
    th = Referral.objects.filter(network__slug="thornton-heath")
    assert th.filter(
        service="medicines_optimisation", status="new", flags__flag__code="medicines_stockpile"
    ).exists()
    assert th.filter(status="accepted", service="mdt", source_organisation__isnull=False).exists()
    assert th.filter(status="declined", decline_reason="already_known").exists()
    assert Referral.objects.filter(network__slug="purbeck", status="completed").exists()
    assert PatientFlag.objects.filter(resolved_at__isnull=True).count() >= 5
    # The 8 built-in services in each network, and Thornton Heath's own clinic with a
    # referral waiting for its pharmacist.
    assert ServiceConfig.objects.count() == 17
    clinic = ServiceConfig.objects.get(service="mental_health_pharmacy")
    assert (clinic.network.slug, clinic.label) == (
        "thornton-heath",
        "Mental health pharmacy clinic",
    )
    assert th.filter(service="mental_health_pharmacy", status="new").count() == 1
    before = Referral.objects.count()
    seed()
    assert Referral.objects.count() == before


@pytest.mark.django_db
def test_demo_has_visits_medicines_and_meetings_in_each_network():
    from dmd.models import Vmp
    from huddles.models import AgendaItem, Meeting
    from medicines.models import Medication, Visit

    seed()
    assert Vmp.objects.get(vpid="319283006").name == "Amlodipine 5mg tablets"  # dm+d extract
    for slug in SLUGS:
        assert Visit.objects.filter(network__slug=slug).count() == 3
        restricted = Visit.objects.get(network__slug=slug, restricted=True)
        assert restricted.restricted_reason.startswith("Safeguarding")  # the demo shows one
        escalated = Visit.objects.get(network__slug=slug, news2_score__gte=5)
        assert escalated.news2_task.assignee_role == "gp"  # the NEWS2 escalation's task
        assert Medication.objects.filter(patient__network__slug=slug).count() == 12
        assert Meeting.objects.filter(network__slug=slug).count() >= 4  # 8 weeks, fortnightly
        assert AgendaItem.objects.filter(meeting__network__slug=slug, source="referral").exists()
    # No meeting of either network in the next 8 weeks is on an England and Wales bank holiday.
    starts = Meeting.objects.filter(status="scheduled").values_list("starts_at", flat=True)
    assert starts and all(is_working_day(timezone.localtime(at).date()) for at in starts)


@pytest.mark.django_db
def test_a_demo_person_has_a_varied_timeline():
    from patients.timeline import collect

    seed()
    chair = get_user_model().objects.get(username="chair.thornton-heath")
    people = Patient.objects.filter(network__slug="thornton-heath").order_by("pk")
    timelines = [[entry.kind for entry in collect(chair, patient)] for patient in people]
    kinds = [set(timeline) for timeline in timelines]
    assert any({"discussion", "episode", "referral", "visit", "frailty"} <= k for k in kinds)
    assert any("admission" in k for k in kinds)
    seed()  # the past discussions are not made twice
    assert [[entry.kind for entry in collect(chair, patient)] for patient in people] == timelines


@pytest.mark.django_db
def test_a_cover_this_week_and_one_immediate_email_preference():
    from networks.models import Cover
    from notifications.models import Preference

    seed()
    seed()
    for slug in SLUGS:
        cover = Cover.objects.get(network__slug=slug)
        assert cover.member.username == f"occupational_therapist.{slug}"
        assert cover.deputy.username == f"physiotherapist.{slug}"
        assert cover.starts_on <= timezone.localdate() <= cover.ends_on
        assert Preference.objects.get(user__username=f"pharmacist.{slug}").email == "immediate"


@pytest.mark.django_db
def test_a_year_of_outcomes_for_the_reports_once():
    from huddles.models import Episode
    from patients.models import Goal
    from reports.models import AdmissionEvent

    seed()
    seed()
    for slug in SLUGS:
        history = Episode.objects.filter(network__slug=slug, closing_reason__startswith="Demo:")
        assert history.count() == 10
        assert set(history.values_list("admission_avoided", flat=True)) == {"yes", "no", "unsure"}
        assert AdmissionEvent.objects.filter(network__slug=slug, kind="emergency").count() == 2
        assert Goal.objects.filter(patient__network__slug=slug).count() == 5


@pytest.mark.django_db
def test_each_demo_practice_has_a_list_size_for_the_last_twelve_months_once():
    from reports.models import PracticePopulation
    from reports.population import network_population

    seed()
    seed()
    last = (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=1)
    year, month = divmod(last.year * 12 + last.month - 1 - 11, 12)
    first = date(year, month + 1, 1)
    for slug in SLUGS:
        network = Network.objects.get(slug=slug)
        practices = network.gp_practices.count()
        population = network_population(network, first, last)
        assert len(population) == 12
        for month in population.values():
            assert month["practices"] == practices
            assert 6_000 * practices - 200 < month["registered"] < 14_000 * practices
    assert PracticePopulation.objects.count() == 12 * Network.gp_practices.through.objects.count()


@pytest.mark.django_db
def test_two_people_have_care_plans_whose_interventions_are_tasks():
    from careplans.models import CarePlan, CarePlanIntervention

    seed()
    seed()
    plans = CarePlan.objects.filter(network__slug="thornton-heath")
    assert plans.count() == 2 and set(plans.values_list("version", flat=True)) == {1}
    interventions = CarePlanIntervention.objects.filter(plan__in=plans)
    assert interventions.count() == 4
    assert all(i.task and i.task.source == "care_plan" for i in interventions)


@pytest.mark.django_db
def test_demo_consent_obeys_the_rules_and_shows_them():
    """Issue 17: PIC referrals are for people who consented to share; a best-interests
    decision names who took it; in each network one person not yet asked about the meeting is
    on the next agenda (marked there) and one who refused is on none to come."""
    from huddles.models import AgendaItem
    from referrals.models import Referral

    seed()
    pic = Referral.objects.filter(service="pic")
    assert pic.exists()
    assert not pic.exclude(patient__consent_sharing__in=["given", "best_interest"])
    best = Patient.objects.filter(consent_mdt="best_interest")
    assert best.count() == 2 and not best.filter(consent_best_interest_by="")
    pending = AgendaItem.objects.filter(status="pending", meeting__status="scheduled")
    for slug in SLUGS:
        here = pending.filter(meeting__network__slug=slug)
        assert here.filter(patient__consent_mdt="not_asked").exists()
        refused = Patient.objects.filter(network__slug=slug, consent_mdt="refused")
        assert refused.count() == 1 and not here.filter(patient__in=refused)
