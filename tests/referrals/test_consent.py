"""Consent that gates a referral to the PIC (issue 17 item 2; API.md 1.1 "Referrals"): a
referral to the `pic` service needs consent to share (or a best-interests decision); a red flag
for the PIC without it raises a task to ask instead; consent to share withdrawn withdraws the
open PIC referrals and closes the PIC's tasks, with a note, and is on the person's timeline."""

import datetime
import re

import pytest
from django.core.exceptions import ValidationError

from actions.models import Action
from patients import services as patient_services
from referrals import services
from referrals.models import PatientFlag, Referral
from tests.factories import ActionFactory, PatientFactory

from .helpers import MEDS, message_texts, quoted, text

pytestmark = pytest.mark.django_db

URL = "/api/v1/referrals/"
ASK = "Ask {} for consent to share with the voluntary sector"
HELD = (
    "No referral to the PIC: consent to share is not recorded; a task to ask has been added "
    "to your list."
)


@pytest.fixture
def person(network):
    return PatientFactory(network=network, consent_sharing="not_asked")


def _ask_tasks(person):
    return Action.objects.filter(patient=person, title=ASK.format(person.full_name))


# --- a referral to the PIC -----------------------------------------------------------------


@pytest.mark.parametrize("consent", ["not_asked", "refused"])
def test_service_refuses_a_pic_referral_without_consent_to_share(member, network, consent):
    person = PatientFactory(network=network, consent_sharing=consent)
    with pytest.raises(ValidationError) as caught:
        services.referral_create(patient=person, service="pic", reason="Lonely", by=member("gp"))
    assert list(caught.value.message_dict) == ["consent_sharing"]
    assert not Referral.objects.exists()


@pytest.mark.parametrize("consent", ["given", "best_interest"])
def test_service_makes_a_pic_referral_with_consent_or_best_interests(member, network, consent):
    person = PatientFactory(
        network=network, consent_sharing=consent, consent_best_interest_by="Dr A Shah, GP"
    )
    raised = services.referral_create(
        patient=person, service="pic", reason="Lonely", by=member("gp")
    )
    assert raised.referral is not None and raised.referral.service == "pic"


def test_the_rule_reads_consent_as_it_is_now_not_as_the_caller_loaded_it(member, person):
    """A person loaded before consent was refused elsewhere is still refused."""
    stale = type(person).objects.get(pk=person.pk)
    person.consent_sharing = "given"
    person.save()
    patient_services.patient_record_consent(
        patient=person, by=member("gp"), consent_mdt="given", consent_sharing="refused"
    )
    stale.consent_sharing = "given"  # what the caller believes
    with pytest.raises(ValidationError):
        services.referral_create(patient=stale, service="pic", reason="Lonely", by=member("gp"))


@pytest.mark.parametrize("role", ["gp", "social_worker", "pic", "partner_system"])
def test_api_pic_referral_without_consent_is_400_on_consent_sharing(api, member, person, role):
    response = api(member(role)).post(
        URL,
        {"patient": person.pk, "service": "pic", "reason": "Lonely", "urgency": "routine"},
        format="json",
    )
    assert response.status_code == 400
    assert list(response.json()) == ["consent_sharing"]
    assert "consent" in response.json()["consent_sharing"][0]
    assert not Referral.objects.exists()


def test_api_pic_referral_with_consent_is_201(api, member, patient):
    assert patient.consent_sharing == "given"
    response = api(member("gp")).post(
        URL,
        {"patient": patient.pk, "service": "pic", "reason": "Lonely", "urgency": "routine"},
        format="json",
    )
    assert response.status_code == 201 and response.json()["service"] == "pic"


def test_referral_page_to_the_pic_without_consent_is_422_with_the_error(client, member, person):
    client.force_login(member("social_worker"))
    response = client.post(
        f"/referrals/patients/{person.pk}/refer/",
        {"service": "pic", "reason": "Lonely", "urgency": "routine"},
    )
    assert response.status_code == 422
    page = text(response)
    assert "There is a problem" in page and "consent to share" in page
    assert not Referral.objects.exists() and not PatientFlag.objects.exists()


# --- a red flag for the PIC ----------------------------------------------------------------


def test_red_flag_for_the_pic_without_consent_raises_a_task_not_a_referral(client, member, person):
    user = member("social_worker")
    client.force_login(user)
    url = f"/referrals/patients/{person.pk}/flags/"
    response = client.post(url, {"flag": "loneliness", "note": "Alone all week"})
    assert response.status_code == 302
    assert message_texts(response) == [
        f"Red flag {quoted('Lonely or isolated')} recorded for {person.full_name}. " + HELD
    ]
    patient_flag = PatientFlag.objects.get()
    assert patient_flag.referral is None and patient_flag.raised_by == user
    assert not Referral.objects.exists()
    task = _ask_tasks(person).get()
    assert (task.assignee, task.status, task.created_by) == (user, "open", user)
    # The task shows on the raiser's list.
    client.get(f"/patients/{person.pk}/")  # the notice is read
    assert ASK.format(person.full_name) in text(client.get("/my-work/"))

    # Raised again: still one flag, one task (the duplicate rule), no referral.
    again = client.post(url, {"flag": "loneliness"})
    assert HELD in message_texts(again)[-1]
    assert PatientFlag.objects.count() == 1 and _ask_tasks(person).count() == 1
    assert not Referral.objects.exists()


def test_once_consent_is_given_the_flag_raised_again_reaches_the_pic(member, person):
    user = member("community_nurse")
    flag = services.RedFlag.objects.get(code="loneliness")
    services.flag_raise(patient=person, flag=flag, by=user, raised_from="patient")
    patient_services.patient_record_consent(
        patient=person, by=user, consent_mdt="not_asked", consent_sharing="given"
    )
    # Recording the consent closes the task to ask for it.
    task = _ask_tasks(person).get()
    assert task.status == "done" and task.done_note == "Consent to share recorded: given."
    raised = services.flag_raise(patient=person, flag=flag, by=user, raised_from="patient")
    referral = Referral.objects.get()
    assert referral.service == "pic" and raised.flag_referrals == [referral]
    assert PatientFlag.objects.get().referral == referral


def test_referral_with_a_pic_flag_refers_and_holds_the_flag(client, member, person):
    user = member("pharmacist")
    client.force_login(user)
    response = client.post(
        f"/referrals/patients/{person.pk}/refer/",
        {"service": MEDS, "reason": "Boxes", "urgency": "routine", "red_flags": ["loneliness"]},
    )
    assert response.status_code == 302
    (message,) = message_texts(response)
    assert message.startswith("Referred to Medicines optimisation.") and HELD in message
    assert list(Referral.objects.values_list("service", flat=True)) == [MEDS]
    assert _ask_tasks(person).get().assignee == user


def _refer_with_loneliness(client, person):
    """A referral to medicines optimisation ticking the red flag for the PIC."""
    data = {"patient": person.pk, "service": MEDS, "reason": "Boxes", "urgency": "routine"}
    return client.post(URL, {**data, "red_flags": ["loneliness"]}, format="json")


def test_api_referral_with_a_pic_flag_raises_no_pic_referral(api, member, person):
    user = member("gp")
    response = _refer_with_loneliness(api(user), person)
    assert response.status_code == 201 and response.json()["flag_referrals"] == []
    assert not Referral.objects.filter(service="pic").exists()
    assert _ask_tasks(person).get().assignee == user


def test_a_visits_pic_flag_without_consent_is_held_and_the_visit_says_so(member, person):
    from django.utils import timezone

    from medicines.services import visit_log
    from medicines.views import _visit_message

    nurse = member("community_nurse")
    logged = visit_log(
        patient=person,
        by=nurse,
        kind="home",
        visited_at=timezone.now(),
        red_flags=[services.RedFlag.objects.get(code="loneliness")],
    )
    assert logged.referrals == [] and logged.held_for_consent == logged.flags
    assert not Referral.objects.exists() and _ask_tasks(person).get().assignee == nurse
    message = _visit_message(logged, set(), 0)
    assert f"{quoted('Lonely or isolated')} was recorded. {HELD}" in message


def test_a_partner_systems_flag_asks_the_key_worker_or_the_chairs_queue(api, member, network):
    partner = member("partner_system")
    nurse = member("community_nurse")
    with_kw = PatientFactory(
        network=network, consent_sharing="not_asked", key_worker=nurse.memberships.get()
    )
    without = PatientFactory(network=network, consent_sharing="not_asked")
    for person in (with_kw, without):
        assert _refer_with_loneliness(api(partner), person).status_code == 201
    assert _ask_tasks(with_kw).get().assignee == nurse
    assert _ask_tasks(without).get().assignee_role == "chair"


# --- consent to share withdrawn ------------------------------------------------------------


def test_withdrawing_consent_to_share_closes_what_rested_on_it(api, client, member, network):
    gp, pic, worker = member("gp"), member("pic"), member("social_worker")
    person = PatientFactory(network=network, consent_sharing="given")
    accepted = services.referral_create(
        patient=person, service="pic", reason="Lonely", by=gp
    ).referral
    services.referral_accept(referral=accepted, by=pic)
    other = PatientFactory(network=network, consent_sharing="given")
    untouched = services.referral_create(
        patient=other, service="pic", reason="Lonely", by=gp
    ).referral
    pic_queue = ActionFactory(patient=person, assignee_role="pic", title="Befriending call")
    pic_own = ActionFactory(patient=person, assignee=pic, assignee_role="", title="Visit")
    gps = ActionFactory(patient=person, assignee=gp, assignee_role="", title="Review meds")

    response = api(worker).patch(
        f"/api/v1/patients/{person.pk}/", {"consent_sharing": "refused"}, format="json"
    )
    assert response.status_code == 200 and response.json()["consent_sharing"] == "refused"
    when = datetime.date.today().strftime("%-d %b %Y")
    accepted.refresh_from_db()
    assert (accepted.status, accepted.closed_by, accepted.outcome) == (
        "withdrawn",
        worker,
        f"Consent to share withdrawn on {when} by {worker.get_full_name() or worker.username}.",
    )
    for task in (pic_queue, pic_own):
        task.refresh_from_db()
        assert task.status == "done" and task.done_by == worker
        assert task.done_note.startswith(f"Cancelled: consent to share withdrawn on {when}")
    gps.refresh_from_db()
    untouched.refresh_from_db()
    assert gps.status == "open" and untouched.status == "new"

    # In the person's history: the timeline says so, with who.
    client.force_login(gp)
    page = text(client.get(f"/patients/{person.pk}/timeline/"))
    worker.refresh_from_db()  # the name as saved (the factory's may differ in memory)
    assert f"Consent to share withdrawn {worker.get_full_name()}, Social worker" in " ".join(
        re.sub(r"<[^>]+>", " ", page).split()
    )
    assert "Personal independence coordination referral withdrawn" in page


def test_a_closed_pic_referral_stays_as_history(member, network):
    gp, pic = member("gp"), member("pic")
    person = PatientFactory(network=network, consent_sharing="given")
    referral = services.referral_create(
        patient=person, service="pic", reason="Lonely", by=gp
    ).referral
    services.referral_accept(referral=referral, by=pic)
    services.referral_complete(referral=referral, by=pic, outcome="Befriender found")
    patient_services.patient_record_consent(
        patient=person, by=gp, consent_mdt="given", consent_sharing="refused"
    )
    referral.refresh_from_db()
    assert (referral.status, referral.outcome) == ("completed", "Befriender found")


@pytest.mark.parametrize("role", ["manager", "care_home_staff", "ig_lead"])
def test_roles_that_may_not_record_consent_close_nothing(api, member, network, role):
    gp = member("gp")
    person = PatientFactory(network=network, consent_sharing="given")
    referral = services.referral_create(
        patient=person, service="pic", reason="Lonely", by=gp
    ).referral
    response = api(member(role)).patch(
        f"/api/v1/patients/{person.pk}/", {"consent_sharing": "refused"}, format="json"
    )
    assert response.status_code in (403, 404)
    referral.refresh_from_db()
    person.refresh_from_db()
    assert referral.status == "new" and person.consent_sharing == "given"


def test_withdrawing_on_the_consent_page_withdraws_the_pic_referral(client, member, network):
    gp = member("gp")
    person = PatientFactory(network=network, consent_sharing="given")
    referral = services.referral_create(
        patient=person, service="pic", reason="Lonely", by=gp
    ).referral
    client.force_login(member("community_matron"))
    form = text(client.get(f"/patients/{person.pk}/consent/"))
    assert "Refusing one that was given closes what rested on it" in form
    response = client.post(
        f"/patients/{person.pk}/consent/",
        {"consent_mdt": "given", "consent_sharing": "refused"},
    )
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.status == "withdrawn"
    assert referral.outcome.startswith("Consent to share withdrawn on ")
