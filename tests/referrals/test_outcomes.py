"""Closing the referral loop (#14.1): completing with an outcome (API and page), withdrawing
on the page, adding a reason to the open referral a new one clashed with, the referrer told
the outcome (never by e-mail unless names may be sent), and each service's caseload."""

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from audit.models import AccessEvent
from notifications.models import Notification, Preference
from notifications.tasks import email_pending
from referrals import services
from referrals.models import Referral

from .helpers import MEDS, message_texts, refer, text

pytestmark = pytest.mark.django_db
URL = "/api/v1/referrals/"
SOCIAL = "social_services"


@pytest.fixture
def accepted(patient, social_worker, pharmacist):
    referral = refer(patient, social_worker)
    return services.referral_accept(referral=referral, by=pharmacist)


# --- the service and the API -----------------------------------------------------------------


def test_complete_needs_an_outcome_and_tells_the_referrer_it(accepted, pharmacist, social_worker):
    for blank in ("", "   "):
        with pytest.raises(ValidationError) as exc:
            services.referral_complete(referral=accepted, by=pharmacist, outcome=blank)
        assert "outcome" in exc.value.message_dict
    assert Referral.objects.get(pk=accepted.pk).status == "accepted"
    services.referral_complete(referral=accepted, by=pharmacist, outcome="Blister pack started")
    done = Referral.objects.get(pk=accepted.pk)
    assert (done.status, done.outcome) == ("completed", "Blister pack started")
    note = Notification.objects.get(recipient=social_worker, kind="referral_completed")
    assert note.body == "Outcome: Blister pack started"


def test_api_complete_without_outcome_is_400_and_changes_nothing(api, accepted, pharmacist):
    client = api(pharmacist)
    for body in ({}, {"outcome": ""}, {"outcome": 12}, {"outcome": "x" * 1001}):
        response = client.post(f"{URL}{accepted.pk}/complete/", body, format="json")
        assert response.status_code == 400, body
        assert "outcome" in response.json()
    assert Referral.objects.get(pk=accepted.pk).status == "accepted"
    response = client.post(
        f"{URL}{accepted.pk}/complete/", {"outcome": "Reviewed at home"}, format="json"
    )
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["outcome"]) == (
        "completed",
        "Reviewed at home",
    )
    assert client.get(f"{URL}{accepted.pk}/").json()["outcome"] == "Reviewed at home"
    listed = client.get(f"{URL}?status=completed").json()["results"]
    assert listed[0]["outcome"] == "Reviewed at home"


def test_api_complete_by_a_role_not_serving_is_403_before_the_body(api, accepted, member):
    response = api(member("physiotherapist")).post(f"{URL}{accepted.pk}/complete/", {})
    assert response.status_code == 403


def test_outcome_in_email_only_where_names_may_be_sent(
    accepted, pharmacist, social_worker, settings
):
    Preference.objects.create(user=social_worker, email=Preference.Delivery.IMMEDIATE)
    services.referral_complete(referral=accepted, by=pharmacist, outcome="Secret detail here")
    email_pending()
    [message] = mail.outbox
    assert "Secret detail here" not in message.subject + message.body
    assert "Okafor" not in message.subject + message.body


def test_outcome_in_email_where_names_are_allowed(accepted, pharmacist, social_worker, settings):
    settings.ICN_NOTIFY = {**settings.ICN_NOTIFY, "EMAIL_IDENTIFIABLE": True}
    Preference.objects.create(user=social_worker, email=Preference.Delivery.IMMEDIATE)
    services.referral_complete(referral=accepted, by=pharmacist, outcome="Blister pack started")
    email_pending()
    assert "Outcome: Blister pack started" in mail.outbox[0].body


# --- complete and withdraw on the pages ------------------------------------------------------


def test_person_page_offers_complete_to_the_service_and_withdraw_to_the_referrer(
    client, accepted, patient, pharmacist, social_worker
):
    new = refer(patient, social_worker, service=SOCIAL)
    client.force_login(pharmacist)
    page = text(client.get(f"/patients/{patient.pk}/"))
    assert f'href="/referrals/{accepted.pk}/complete/"' in page
    assert f"/referrals/{new.pk}/withdraw/" not in page
    client.force_login(social_worker)
    page = text(client.get(f"/patients/{patient.pk}/"))
    assert f"/referrals/{new.pk}/withdraw/" in page
    assert f"/referrals/{accepted.pk}/complete/" not in page  # not their service's


def test_complete_page_saves_the_outcome_and_the_referrer_reads_it(
    client, accepted, patient, pharmacist, social_worker
):
    client.force_login(pharmacist)
    form = client.get(f"/referrals/{accepted.pk}/complete/")
    assert form.status_code == 200 and "Outcome: what was done" in text(form)
    assert AccessEvent.objects.filter(what="referral_complete", patient=patient).exists()
    bad = client.post(f"/referrals/{accepted.pk}/complete/", {"outcome": "  "})
    assert bad.status_code == 422 and "Say what was done" in text(bad)
    assert Referral.objects.get(pk=accepted.pk).status == "accepted"
    response = client.post(f"/referrals/{accepted.pk}/complete/", {"outcome": "Dosette started"})
    assert response.status_code == 302
    assert "told the outcome" in message_texts(response)[0]
    assert Referral.objects.get(pk=accepted.pk).outcome == "Dosette started"
    client.force_login(social_worker)
    assert "Dosette started" in text(client.get("/notifications/"))
    assert "Dosette started" in text(client.get(f"/patients/{patient.pk}/"))


def test_complete_page_is_403_for_other_roles_and_404_outside_the_network(
    client, accepted, member, foreign_patient
):
    client.force_login(member("physiotherapist"))
    assert client.get(f"/referrals/{accepted.pk}/complete/").status_code == 403
    outsider = member("pharmacist", net=foreign_patient.network)
    client.force_login(outsider)
    assert client.post(f"/referrals/{accepted.pk}/complete/", {"outcome": "x"}).status_code == 404
    assert Referral.objects.get(pk=accepted.pk).status == "accepted"


def test_completing_twice_says_so(client, accepted, pharmacist):
    client.force_login(pharmacist)
    client.post(f"/referrals/{accepted.pk}/complete/", {"outcome": "Done"})
    again = client.post(f"/referrals/{accepted.pk}/complete/", {"outcome": "Again"})
    assert again.status_code == 302 and "completed" in message_texts(again)[-1].lower()
    assert Referral.objects.get(pk=accepted.pk).outcome == "Done"


def test_withdraw_on_the_page_by_the_referrer_only(client, patient, social_worker, pharmacist):
    referral = refer(patient, social_worker)
    client.force_login(pharmacist)
    assert client.post(f"/referrals/{referral.pk}/withdraw/").status_code == 403
    assert Referral.objects.get(pk=referral.pk).status == "new"
    client.force_login(social_worker)
    response = client.post(f"/referrals/{referral.pk}/withdraw/")
    assert response.status_code == 302 and "withdrawn" in message_texts(response)[0]
    assert Referral.objects.get(pk=referral.pk).status == "withdrawn"
    again = client.post(f"/referrals/{referral.pk}/withdraw/")
    assert again.status_code == 302
    assert Referral.objects.get(pk=referral.pk).status == "withdrawn"


# --- a clash: add the reason to the open referral ------------------------------------------------


def test_a_clash_offers_to_add_the_reason_and_adding_it_is_recorded(
    client, patient, social_worker, member
):
    existing = refer(patient, social_worker)
    nurse = member("community_nurse")
    client.force_login(nurse)
    response = client.post(
        f"/referrals/patients/{patient.pk}/refer/",
        {"service": MEDS, "reason": "Missed doses all week", "urgency": "routine"},
    )
    assert response.status_code == 422
    page = text(response)
    assert "Add this reason to the open referral" in page
    assert f'action="/referrals/{existing.pk}/add-reason/"' in page
    added = client.post(
        f"/referrals/{existing.pk}/add-reason/", {"reason": "Missed doses all week"}
    )
    assert added.status_code == 302
    existing.refresh_from_db()
    assert existing.reason.startswith("Struggling with tablets")
    assert "Missed doses all week" in existing.reason
    assert f"Added by {nurse.get_full_name()}" in existing.reason
    assert Referral.objects.count() == 1
    assert existing.events.count() >= 2  # pghistory: the insert and this update


def test_add_reason_refused_without_reason_or_when_closed_or_not_readable(
    client, patient, social_worker, pharmacist, member
):
    existing = refer(patient, social_worker)
    client.force_login(member("community_nurse"))
    bad = client.post(f"/referrals/{existing.pk}/add-reason/", {"reason": " "})
    assert bad.status_code == 302 and "Nothing was added" in message_texts(bad)[0]
    services.referral_withdraw(referral=existing, by=social_worker)
    closed = client.post(f"/referrals/{existing.pk}/add-reason/", {"reason": "More"})
    assert "Nothing was added" in message_texts(closed)[-1]
    client.force_login(member("pic"))  # may refer, may not read a medicines referral
    assert client.post(f"/referrals/{existing.pk}/add-reason/", {"reason": "x"}).status_code == 403
    existing.refresh_from_db()
    assert existing.reason == "Struggling with tablets"


# --- the caseload ------------------------------------------------------------------------------


def test_caseload_lists_accepted_open_referrals_with_days_open(
    client, patient, social_worker, pharmacist, member
):
    accepted = services.referral_accept(referral=refer(patient, social_worker), by=pharmacist)
    client.force_login(pharmacist)
    response = client.get(f"/referrals/caseload/{MEDS}/")
    assert response.status_code == 200
    page = text(response)
    assert "OKAFOR, Edith" in page and "Since today" in page
    assert f'href="/referrals/{accepted.pk}/complete/"' in page
    assert AccessEvent.objects.filter(what="referral_caseload", patient=patient).exists()
    services.referral_complete(referral=accepted, by=pharmacist, outcome="Done")
    assert "OKAFOR" not in text(client.get(f"/referrals/caseload/{MEDS}/"))
    client.force_login(member("integrated_manager"))
    assert client.get(f"/referrals/caseload/{MEDS}/").status_code == 200
    client.force_login(social_worker)
    assert client.get(f"/referrals/caseload/{MEDS}/").status_code == 403
    assert client.get("/referrals/caseload/nonsense/").status_code == 404


def test_caseload_query_count_does_not_grow(
    client, network, social_worker, pharmacist, django_assert_max_num_queries
):
    from tests.factories import PatientFactory

    def add(n):
        for _ in range(n):
            person = PatientFactory(network=network)
            services.referral_accept(referral=refer(person, social_worker), by=pharmacist)

    client.force_login(pharmacist)
    add(2)
    with django_assert_max_num_queries(14) as few:
        assert client.get(f"/referrals/caseload/{MEDS}/").status_code == 200
    add(10)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(f"/referrals/caseload/{MEDS}/").status_code == 200
