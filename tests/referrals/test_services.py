"""The referral lifecycle and red-flag routing, through the services."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from core.errors import Conflict
from notifications.models import Notification
from referrals import services
from referrals.models import PatientFlag, RedFlag, Referral

pytestmark = pytest.mark.django_db


def flag(code):
    return RedFlag.objects.get(code=code)


@pytest.fixture
def social_worker(member):
    return member("social_worker")


@pytest.fixture
def pharmacist(member):
    return member("pharmacist")


def refer(patient, by, service="medicines_optimisation", **kwargs):
    kwargs.setdefault("reason", "Struggling with tablets")
    return services.referral_create(patient=patient, service=service, by=by, **kwargs).referral


def test_catalogue_has_api_md_codes():
    routes = dict(RedFlag.objects.values_list("code", "routes_to"))
    assert routes["medicines_stockpile"] == "medicines_optimisation"
    assert routes["no_heating"] == "social_services"
    assert routes["not_using_upstairs"] == "occupational_therapy"
    assert routes["loneliness"] == "pic"
    assert routes["fall"] == "physiotherapy"
    for code in (
        "expired_medicines",
        "multiple_dispensing_dates",
        "medicines_running_out_unevenly",
        "cannot_manage_medicines",
        "sleeping_on_sofa",
        "poor_nutrition",
        "transport_difficulty",
    ):
        assert code in routes


def test_lifecycle_new_accepted_completed_with_actor_and_time(patient, social_worker, pharmacist):
    referral = refer(patient, social_worker)
    assert (referral.status, referral.origin, referral.triaged_at) == ("new", "manual", None)
    referral = services.referral_accept(referral=referral, by=pharmacist)
    assert (
        referral.status == "accepted" and referral.triaged_by == pharmacist and referral.triaged_at
    )
    referral = services.referral_complete(
        referral=referral, by=pharmacist, outcome="Reviewed at home"
    )
    assert (
        referral.status == "completed" and referral.closed_by == pharmacist and referral.closed_at
    )


def test_decline_needs_a_coded_reason(patient, social_worker, pharmacist):
    referral = refer(patient, social_worker)
    with pytest.raises(ValidationError):
        services.referral_decline(referral=referral, by=pharmacist, reason="bored")
    with pytest.raises(ValidationError):
        services.referral_decline(referral=referral, by=pharmacist, reason="other", note=" ")
    referral.refresh_from_db()
    assert referral.status == "new"
    referral = services.referral_decline(
        referral=referral, by=pharmacist, reason="already_known", note="Seen last week"
    )
    assert (referral.status, referral.decline_reason) == ("declined", "already_known")


@pytest.mark.parametrize(
    ("path", "then", "expected_error"),
    [
        ([], "complete", "new, so it cannot be completed"),  # cannot skip accepted
        (["accept"], "accept", "already been accepted"),
        (["accept"], "decline", "accepted, so it cannot be declined"),
        (["accept"], "withdraw", "accepted, so it cannot be withdrawn"),
        (["decline"], "accept", "declined"),
        (["decline"], "complete", "declined"),
        (["accept", "complete"], "complete", "completed"),
        (["accept", "complete"], "accept", "completed"),
        (["withdraw"], "accept", "withdrawn"),
        (["withdraw"], "withdraw", "withdrawn"),
    ],
)
def test_forbidden_transitions_are_conflicts(
    patient, social_worker, pharmacist, path, then, expected_error
):
    referral = refer(patient, social_worker)
    steps = {
        "accept": lambda r: services.referral_accept(referral=r, by=pharmacist),
        "decline": lambda r: services.referral_decline(
            referral=r, by=pharmacist, reason="inappropriate"
        ),
        "complete": lambda r: services.referral_complete(referral=r, by=pharmacist, outcome="Done"),
        "withdraw": lambda r: services.referral_withdraw(referral=r, by=social_worker),
    }
    for step in path:
        referral = steps[step](referral)
    before = Referral.objects.values().get(pk=referral.pk)
    with pytest.raises(Conflict) as exc:
        steps[then](referral)
    assert expected_error in exc.value.message
    assert Referral.objects.values().get(pk=referral.pk) == before


def test_referrer_is_told_the_outcome_once(patient, social_worker, pharmacist):
    referral = refer(patient, social_worker)
    services.referral_decline(
        referral=referral, by=pharmacist, reason="already_known", note="Known"
    )
    note = Notification.objects.get(recipient=social_worker)
    assert "declined" in note.title and "Already known to the service" in note.body
    referral = refer(patient, social_worker)
    services.referral_accept(referral=referral, by=pharmacist)
    services.referral_complete(referral=referral, by=pharmacist, outcome="Reviewed at home")
    kinds = sorted(
        Notification.objects.filter(recipient=social_worker).values_list("kind", flat=True)
    )
    assert kinds == ["referral_accepted", "referral_completed", "referral_declined"]


def test_one_open_referral_per_person_and_service(patient, social_worker, member):
    refer(patient, social_worker)
    with pytest.raises(Conflict):
        refer(patient, member("gp"))
    assert Referral.objects.count() == 1
    # once closed, a new one may be made
    services.referral_withdraw(referral=Referral.objects.get(), by=social_worker)
    refer(patient, social_worker)
    assert Referral.objects.count() == 2


def test_flag_raises_a_referral_to_its_owning_service(patient, social_worker):
    raised = services.flag_raise(
        patient=patient,
        flag=flag("medicines_stockpile"),
        by=social_worker,
        raised_from="patient",
        note="Bags of tablets under the stairs",
    )
    (referral,) = raised.flag_referrals
    assert (referral.service, referral.origin, referral.status) == (
        "medicines_optimisation",
        "red_flag",
        "new",
    )
    assert "Stockpile of medicines" in referral.reason and "under the stairs" in referral.reason
    (patient_flag,) = raised.flags
    assert patient_flag.referral == referral and patient_flag.is_active


def test_flag_joins_the_open_referral_instead_of_a_second(patient, social_worker, member):
    existing = refer(patient, member("gp"))
    raised = services.flag_raise(
        patient=patient, flag=flag("expired_medicines"), by=social_worker, raised_from="visit"
    )
    assert raised.flag_referrals == []
    assert raised.flags[0].referral == existing
    assert Referral.objects.count() == 1


def test_same_active_flag_is_not_raised_twice(patient, social_worker, member):
    services.flag_raise(
        patient=patient, flag=flag("loneliness"), by=social_worker, raised_from="patient"
    )
    again = services.flag_raise(
        patient=patient, flag=flag("loneliness"), by=member("gp"), raised_from="visit"
    )
    assert again.flag_referrals == []
    assert PatientFlag.objects.count() == 1 and Referral.objects.count() == 1


def test_resolved_flag_can_be_raised_again(patient, social_worker):
    raised = services.flag_raise(
        patient=patient, flag=flag("fall"), by=social_worker, raised_from="patient"
    )
    services.flag_resolve(patient_flag=raised.flags[0], by=social_worker, resolution="Physio seen")
    with pytest.raises(Conflict):
        services.flag_resolve(patient_flag=raised.flags[0], by=social_worker)
    services.flag_raise(patient=patient, flag=flag("fall"), by=social_worker, raised_from="patient")
    assert PatientFlag.objects.filter(resolved_at__isnull=True).count() == 1


def test_urgent_flag_makes_the_open_referral_urgent(patient, social_worker, member):
    existing = refer(patient, member("gp"), service="social_services", reason="Carer strain")
    assert existing.urgency == "routine"
    services.flag_raise(
        patient=patient, flag=flag("no_heating"), by=social_worker, raised_from="patient"
    )
    existing.refresh_from_db()
    assert existing.urgency == "urgent"


def test_referral_with_flags_routes_each_flag(patient, social_worker):
    raised = services.referral_create(
        patient=patient,
        service="social_services",
        reason="Struggling at home",
        by=social_worker,
        red_flags=[flag("no_heating"), flag("medicines_stockpile")],
    )
    assert raised.referral.service == "social_services"
    assert [r.service for r in raised.flag_referrals] == ["medicines_optimisation"]
    by_code = {f.flag.code: f.referral for f in raised.flags}
    assert by_code["no_heating"] == raised.referral  # owned by the service referred to
    assert by_code["medicines_stockpile"].service == "medicines_optimisation"
    raised.referral.refresh_from_db()
    assert raised.referral.urgency == "urgent"  # no_heating is urgent


def test_bad_input_saves_nothing(patient, social_worker):
    for kwargs in (
        {"service": "astrology"},
        {"reason": "   "},
        {"urgency": "whenever"},
    ):
        with pytest.raises(ValidationError):
            refer(patient, social_worker, **kwargs)
    inactive = RedFlag.objects.create(
        code="old", label="Old", category="home", routes_to="pic", active=False
    )
    with pytest.raises(ValidationError):
        refer(patient, social_worker, red_flags=[inactive])
    assert not Referral.objects.exists() and not PatientFlag.objects.exists()


def test_inactive_service_in_a_network_is_refused(patient, social_worker, network):
    from referrals.models import ServiceConfig

    ServiceConfig.objects.create(network=network, service="physiotherapy", active=False)
    with pytest.raises(ValidationError):
        refer(patient, social_worker, service="physiotherapy")


@pytest.mark.django_db(transaction=True)
def test_two_members_accepting_at_the_same_moment_one_wins(patient, social_worker, member):
    referral = refer(patient, social_worker)
    pharmacist = member("pharmacist")
    technician = member("pharmacy_technician")
    barrier = threading.Barrier(2)
    outcomes = []

    def accept(user):
        try:
            barrier.wait(timeout=10)
            services.referral_accept(referral=Referral.objects.get(pk=referral.pk), by=user)
            outcomes.append("accepted")
        except Conflict:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=accept, args=(u,)) for u in (pharmacist, technician)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(outcomes) == ["accepted", "conflict"]
    referral.refresh_from_db()
    assert referral.status == "accepted" and referral.triaged_by in (pharmacist, technician)
    assert Notification.objects.filter(recipient=social_worker).count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_same_flag_raised_at_the_same_moment_makes_one_referral(patient, member):
    users = [member("social_worker"), member("gp")]
    barrier = threading.Barrier(2)
    errors = []

    def raise_flag(user):
        try:
            barrier.wait(timeout=10)
            services.flag_raise(
                patient=patient, flag=flag("poor_nutrition"), by=user, raised_from="visit"
            )
        except Exception as exc:
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=raise_flag, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    assert Referral.objects.filter(service="social_services").count() == 1
    assert PatientFlag.objects.filter(flag__code="poor_nutrition").count() == 1


def test_an_active_flag_whose_referral_closed_reaches_the_service_again(
    patient, social_worker, member
):
    first = services.flag_raise(
        patient=patient, flag=flag("no_heating"), by=social_worker, raised_from="visit"
    )
    services.referral_decline(
        referral=first.flag_referrals[0], by=member("chair"), reason="other", note="Fixed"
    )
    again = services.flag_raise(
        patient=patient, flag=flag("no_heating"), by=social_worker, raised_from="visit"
    )
    assert [r.service for r in again.flag_referrals] == ["social_services"]
    assert PatientFlag.objects.get().referral == again.flag_referrals[0]


def test_a_switched_off_service_hands_its_flags_to_the_mdt(patient, social_worker, network):
    from referrals.models import ServiceConfig

    ServiceConfig.objects.create(network=network, service="physiotherapy", active=False)
    raised = services.flag_raise(
        patient=patient, flag=flag("fall"), by=social_worker, raised_from="visit"
    )
    assert [r.service for r in raised.flag_referrals] == ["mdt"]


def test_already_accepted_reads_as_such(patient, social_worker, pharmacist):
    referral = refer(patient, social_worker)
    services.referral_accept(referral=referral, by=pharmacist)
    with pytest.raises(Conflict, match="already been accepted"):
        services.referral_accept(referral=referral, by=pharmacist)


def test_a_flag_whose_competing_referral_closed_at_once_makes_its_own(
    patient, social_worker, member, monkeypatch
):
    """The race in flag_raise: the insert meets someone else's referral (Conflict), which is
    closed again before it can be joined, so no open referral is found. The flag starts over
    and makes its own referral, rather than failing on None."""
    insert = services._insert_referral
    calls = []

    def someone_else_first(referral):
        if not calls:
            calls.append(referral)
            theirs = refer(patient, member("gp"))
            services.referral_withdraw(referral=theirs, by=theirs.referred_by)
            raise Conflict("This person already has an open medicines referral.")
        return insert(referral)

    monkeypatch.setattr(services, "_insert_referral", someone_else_first)
    raised = services.flag_raise(
        patient=patient, flag=flag("medicines_stockpile"), by=social_worker, raised_from="visit"
    )
    (referral,) = raised.flag_referrals
    assert referral.status == "new" and referral.origin == "red_flag"
    (patient_flag,) = raised.flags
    assert patient_flag.referral == referral
    assert Referral.objects.filter(patient=patient).count() == 2  # theirs, withdrawn; ours


def test_a_flag_that_never_finds_its_referral_is_a_clean_conflict(
    patient, social_worker, monkeypatch
):
    def always_taken(referral):
        raise Conflict("This person already has an open medicines referral.")

    monkeypatch.setattr(services, "_insert_referral", always_taken)
    monkeypatch.setattr(services, "open_referral", lambda patient, service: None)
    with pytest.raises(Conflict, match="changed while the red flag was raised"):
        services.flag_raise(
            patient=patient, flag=flag("medicines_stockpile"), by=social_worker, raised_from="visit"
        )
