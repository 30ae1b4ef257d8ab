"""The triage inbox: its rows and tabs, htmx accept and decline, conflicts, and who may
triage which service."""

import datetime
import re

import pytest
from django.utils import timezone

from audit.models import AccessEvent
from core.workdays import working_days_between
from notifications.models import Notification
from referrals import services
from tests.factories import OrganisationFactory, PatientFactory

from .factories import ReferralFactory, age
from .helpers import HX, MEDS, flag, message_texts, refer, text

pytestmark = pytest.mark.django_db


# --- the inbox -----------------------------------------------------------------------------


def test_inbox_redirects_to_the_first_service_i_serve(client, login):
    login("pharmacist")
    response = client.get("/referrals/inbox/")
    assert response.status_code == 302
    assert response["Location"] == "/referrals/inbox/medicines_optimisation/"


def test_inbox_urgent_first_then_oldest_and_only_new_referrals_to_this_service(
    client, login, network, other_network, social_worker
):
    login("pharmacist")
    old = age(ReferralFactory(patient__network=network, patient__family_name="Oldest"), days=9)
    recent = age(ReferralFactory(patient__network=network, patient__family_name="Recent"), days=1)
    urgent = ReferralFactory(
        patient__network=network, patient__family_name="Urgentone", urgency="urgent"
    )
    ReferralFactory(patient__network=network, patient__family_name="Taken", accepted=True)
    ReferralFactory(
        patient__network=network, patient__family_name="Otherservice", service="social_services"
    )
    ReferralFactory(patient__network=other_network, patient__family_name="Elsewhere")

    response = client.get("/referrals/inbox/medicines_optimisation/")
    assert response.status_code == 200
    page = text(response)
    positions = [page.index(r.patient.family_name) for r in (urgent, old, recent)]
    assert positions == sorted(positions)
    for hidden in ("Taken", "Otherservice", "Elsewhere"):
        assert hidden not in page
    assert [r.pk for r in response.context["referrals"]] == [urgent.pk, old.pk, recent.pk]
    assert "Vary" in response and "HX-Request" in response["Vary"]


def test_inbox_row_shows_person_reason_flags_referrer_urgency_and_working_days_waited(
    client, login, network, patient, social_worker
):
    login("pharmacist")
    referral = refer(
        patient,
        social_worker,
        reason="Piles of boxes on the table",
        red_flags=[flag("medicines_stockpile")],
    )
    created = timezone.now() - datetime.timedelta(days=12)
    age(referral, at=created)
    waited = working_days_between(timezone.localdate(created), timezone.localdate())

    page = text(client.get("/referrals/inbox/medicines_optimisation/"))
    assert f'href="/patients/{patient.pk}/"' in page
    assert "Edith Okafor" in page and patient.nhs_number_display in page
    assert "Piles of boxes on the table" in page
    assert "</span>Stockpile of medicines</strong></li>" in page
    assert f"{social_worker.get_full_name()}, Social worker" in page
    assert "Routine" in page
    assert timezone.localtime(created).strftime("%-d %b %Y") in page
    assert f"{waited} working day{'s' if waited != 1 else ''}" in page


def test_inbox_shows_an_outside_referrer_as_organisation_and_contact(
    client, login, network, patient, member
):
    login("pharmacist")
    partner = member("partner_system")
    hospital = OrganisationFactory(name="Croydon University Hospital discharge team")
    services.referral_create(
        patient=patient,
        service=MEDS,
        reason="Discharged on eleven medicines",
        by=partner,
        source_organisation=hospital,
        source_contact="Sam Lee, 020 7946 0123",
    )
    page = text(client.get("/referrals/inbox/medicines_optimisation/"))
    assert "Croydon University Hospital discharge team" in page
    assert "Sam Lee, 020 7946 0123" in page


def test_inbox_writes_one_access_event_per_person_shown(client, login, network, social_worker):
    user = login("pharmacist")
    people = PatientFactory.create_batch(3, network=network)
    for person in people:
        refer(person, social_worker)
    client.get("/referrals/inbox/medicines_optimisation/")
    events = AccessEvent.objects.filter(user=user, what="referral_inbox", channel="page")
    assert sorted(e.patient_id for e in events) == sorted(p.pk for p in people)


def test_inbox_tabs_for_each_service_the_chair_serves_with_counts(client, login, patient):
    chair = login("chair")
    assert client.get("/referrals/inbox/")["Location"] == "/referrals/inbox/mdt/"  # the first
    refer(patient, chair, service="social_services")
    response = client.get("/referrals/inbox/")  # the first with something new
    assert response["Location"] == "/referrals/inbox/social_services/"
    page = text(client.get("/referrals/inbox/social_services/"))
    for label in ("MDT", "Medicines optimisation", "Social services", "Physiotherapy"):
        assert label in page
    tabs = {t["code"]: t["count"] for t in client.get("/referrals/inbox/mdt/").context["tabs"]}
    assert tabs["social_services"] == 1 and tabs[MEDS] == 0


def test_unknown_service_inbox_is_404(client, login):
    login("chair")
    assert client.get("/referrals/inbox/astrology/").status_code == 404


# --- accept and decline ----------------------------------------------------------------------


def test_accept_by_htmx_replaces_the_row_and_tells_the_referrer(
    client, login, patient, social_worker
):
    pharmacist = login("pharmacist")
    referral = refer(patient, social_worker)
    response = client.post(f"/referrals/{referral.pk}/accept/", headers=HX)
    assert response.status_code == 200
    body = text(response)
    assert "<html" not in body
    assert f'id="referral-{referral.pk}"' in body
    assert "Accepted — Edith Okafor" in body
    assert "HX-Request" in response["Vary"]
    # The counts it changed, out of band: none left here, and no badge in the navigation.
    assert (
        '<p class="results-summary" id="inbox-summary" hx-swap-oob="true">0 new referrals' in body
    )
    assert re.search(
        r'<li id="nav-referrals" hx-swap-oob="true"[^>]*>'
        r'<a [^>]*href="/referrals/inbox/" aria-current',
        body,
    )
    assert "nav-badge" not in body
    referral.refresh_from_db()
    assert (referral.status, referral.triaged_by) == ("accepted", pharmacist)
    note = Notification.objects.get(recipient=social_worker)
    assert note.kind == "referral_accepted" and "Edith Okafor" in note.title


def test_decline_by_htmx_with_reason_and_note(client, login, patient, social_worker):
    pharmacist = login("pharmacist")
    referral = refer(patient, social_worker)
    response = client.post(
        f"/referrals/{referral.pk}/decline/",
        {"reason": "already_known", "note": "Reviewed by the practice pharmacist last week."},
        headers=HX,
    )
    assert response.status_code == 200
    assert "Declined: Already known to the service" in text(response)
    referral.refresh_from_db()
    assert referral.status == "declined" and referral.triaged_by == pharmacist
    assert referral.decline_reason == "already_known"
    assert referral.decline_note == "Reviewed by the practice pharmacist last week."
    note = Notification.objects.get(recipient=social_worker)
    assert note.kind == "referral_declined"
    assert "Already known to the service" in note.body


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"reason": "", "note": "x"}, "reason", "Choose why you are declining"),
        ({"reason": "bored", "note": ""}, "reason", "valid choice"),
        ({"reason": "other", "note": "  "}, "note", "when the reason is 'other'"),
        ({"reason": "other", "note": "x" * 2001}, "note", "at most 2000"),
    ],
)
def test_decline_bad_input_is_422_with_the_row_and_its_errors_and_nothing_changes(
    client, login, patient, social_worker, data, field, message
):
    login("pharmacist")
    referral = refer(patient, social_worker)
    response = client.post(f"/referrals/{referral.pk}/decline/", data, headers=HX)
    assert response.status_code == 422
    body = text(response)
    assert "<html" not in body
    assert f'id="referral-{referral.pk}"' in body
    assert '<details class="decline" open>' in body
    assert message in body
    assert f'id="decline-{referral.pk}-{field}"' in body and 'aria-invalid="true"' in body
    referral.refresh_from_db()
    assert referral.status == "new" and referral.decline_reason == ""
    assert not Notification.objects.exists()


def test_decline_without_reason_without_htmx_shows_the_inbox_with_the_error(
    client, login, patient, social_worker
):
    login("pharmacist")
    referral = refer(patient, social_worker)
    response = client.post(f"/referrals/{referral.pk}/decline/", {"reason": ""})
    assert response.status_code == 422
    body = text(response)
    assert "<html" in body and "Choose why you are declining" in body
    referral.refresh_from_db()
    assert referral.status == "new"


def test_accept_without_htmx_redirects_to_the_inbox_with_a_message(
    client, login, patient, social_worker
):
    login("pharmacist")
    referral = refer(patient, social_worker)
    response = client.post(f"/referrals/{referral.pk}/accept/", follow=True)
    assert response.redirect_chain == [("/referrals/inbox/medicines_optimisation/", 302)]
    assert "Accepted — Edith Okafor" in message_texts(response)


def test_accepting_what_someone_else_accepted_is_409_with_who(
    client, login, member, patient, social_worker
):
    login("pharmacist")
    colleague = member("pharmacy_technician")
    referral = refer(patient, social_worker)
    inbox_page = client.get("/referrals/inbox/medicines_optimisation/")  # both see it new
    assert referral in inbox_page.context["referrals"]
    services.referral_accept(referral=referral, by=colleague)

    response = client.post(f"/referrals/{referral.pk}/accept/", headers=HX)
    assert response.status_code == 409
    body = text(response)
    assert "This referral has already been accepted." in body
    assert f"Accepted by {colleague.get_full_name()}" in body
    response = client.post(
        f"/referrals/{referral.pk}/decline/", {"reason": "already_known"}, headers=HX
    )
    assert response.status_code == 409
    referral.refresh_from_db()
    assert referral.triaged_by == colleague and referral.status == "accepted"


def test_conflict_without_htmx_redirects_with_the_message(client, login, patient, social_worker):
    login("pharmacist")
    referral = refer(patient, social_worker)
    services.referral_accept(referral=referral, by=social_worker)
    response = client.post(f"/referrals/{referral.pk}/accept/", follow=True)
    assert "already been accepted" in " ".join(message_texts(response))


# --- who may triage ---------------------------------------------------------------------------


def test_pharmacist_triages_medicines_but_not_social_services(
    client, login, patient, social_worker
):
    login("pharmacist")
    social = refer(patient, social_worker, service="social_services")
    assert client.get("/referrals/inbox/social_services/").status_code == 403
    assert client.post(f"/referrals/{social.pk}/accept/", headers=HX).status_code == 403
    assert client.post(f"/referrals/{social.pk}/decline/", {"reason": "other"}).status_code == 403
    social.refresh_from_db()
    assert social.status == "new"
    meds = refer(patient, social_worker)
    assert client.post(f"/referrals/{meds.pk}/accept/", headers=HX).status_code == 200


def test_chair_triages_any_service(client, login, patient, social_worker):
    login("chair")
    for service in ("social_services", "physiotherapy", "mdt"):
        referral = refer(patient, social_worker, service=service)
        assert client.get(f"/referrals/inbox/{service}/").status_code == 200
        assert client.post(f"/referrals/{referral.pk}/accept/", headers=HX).status_code == 200


def test_pic_triages_the_pic_service_only(client, login, patient, social_worker):
    login("pic")
    assert client.get("/referrals/inbox/")["Location"] == "/referrals/inbox/pic/"
    meds = refer(patient, social_worker)
    pic = refer(patient, social_worker, service="pic", reason="Lonely since her husband died")
    page = text(client.get("/referrals/inbox/pic/"))
    assert "Lonely since her husband died" in page and meds.reason not in page
    assert client.post(f"/referrals/{meds.pk}/accept/", headers=HX).status_code == 403
    assert client.post(f"/referrals/{pic.pk}/accept/", headers=HX).status_code == 200


def test_a_casework_role_that_serves_no_service_gets_a_page_saying_so(client, login):
    login("integrated_manager")
    response = client.get("/referrals/inbox/")
    assert response.status_code == 200
    assert "You do not triage referrals for any service" in text(response)


@pytest.mark.parametrize("role", ["manager", "partner_system"])
def test_manager_and_partner_system_may_not_open_the_inbox_or_triage(
    client, login, patient, social_worker, role
):
    login(role)
    referral = refer(patient, social_worker)
    assert client.get("/referrals/inbox/").status_code == 403
    assert client.get("/referrals/inbox/medicines_optimisation/").status_code == 403
    assert client.post(f"/referrals/{referral.pk}/accept/").status_code == 403


def test_another_networks_referral_is_404(client, login, foreign_patient, member, other_network):
    login("chair")
    theirs = refer(foreign_patient, member("gp", net=other_network))
    assert client.post(f"/referrals/{theirs.pk}/accept/", headers=HX).status_code == 404
    assert client.post(f"/referrals/{theirs.pk}/decline/", {"reason": "other"}).status_code == 404


def test_accepting_an_urgent_mdt_referral_offers_an_extra_meeting(
    client, login, patient, social_worker
):
    login("chair")
    urgent = refer(patient, social_worker, service="mdt", urgency="urgent")
    body = text(client.post(f"/referrals/{urgent.pk}/accept/", headers=HX))
    assert 'href="/meetings/#extra"' in body and "Urgent:" in body
    routine = refer(PatientFactory(network=patient.network), social_worker, service="mdt")
    assert "/meetings/#extra" not in text(
        client.post(f"/referrals/{routine.pk}/accept/", headers=HX)
    )
    other = refer(PatientFactory(network=patient.network), social_worker, urgency="urgent")
    response = client.post(f"/referrals/{other.pk}/accept/", follow=True)
    assert not any("extra" in m for m in message_texts(response))  # not the MDT: no meeting


def test_without_htmx_the_offer_is_a_message(client, login, patient, social_worker):
    login("chair")
    urgent = refer(patient, social_worker, service="mdt", urgency="urgent")
    response = client.post(f"/referrals/{urgent.pk}/accept/", follow=True)
    assert any(m.startswith("Urgent: if the next") for m in message_texts(response))
