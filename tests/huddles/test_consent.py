"""Consent to discussion at the MDT on the agenda (issue 17 item 2): a person who refused is
never put on an agenda, by the chair or by any automatic path; refusing takes them off the
agendas of meetings not yet held, with a note; one not yet asked is marked for the chair."""

import datetime
import html
import re
import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from huddles import services
from huddles.models import AgendaItem, Meeting
from patients.services import patient_record_consent
from referrals.models import Referral
from referrals.services import referral_accept, referral_create
from tests.factories import PatientFactory, meeting_started

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}
MARK = "Consent not yet asked"


def words(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html.unescape(response.content.decode())).split())


@pytest.fixture
def refused(network):
    return PatientFactory(network=network, consent_mdt="refused")


def _on_agendas(person) -> int:
    return AgendaItem.objects.filter(patient=person).exclude(status="removed").count()


def _mdt_referral(person, by):
    return referral_create(patient=person, service="mdt", reason="Falls", by=by).referral


# --- the chair adds ------------------------------------------------------------------------


def test_agenda_add_refuses_a_person_who_refused_mdt_discussion(meeting, refused, chair):
    with pytest.raises(ValidationError) as caught:
        services.agenda_add(meeting=meeting, patient=refused, by=chair, reason="Falls")
    assert list(caught.value.message_dict) == ["patient"]
    assert "refused discussion at the MDT" in caught.value.message_dict["patient"][0]
    assert _on_agendas(refused) == 0


def test_agenda_add_page_is_422_with_the_reason_and_saves_nothing(client, meeting, refused, chair):
    client.force_login(chair)
    response = client.post(
        f"/meetings/{meeting.pk}/agenda/", {"patient": refused.pk, "reason": "Asked"}
    )
    assert response.status_code == 422
    assert f"{refused.full_name} has refused discussion at the MDT" in words(response)
    assert _on_agendas(refused) == 0


def test_agenda_add_page_is_still_the_chairs_alone(client, member, meeting, patient):
    client.force_login(member("gp"))
    response = client.post(
        f"/meetings/{meeting.pk}/agenda/", {"patient": patient.pk, "reason": "Asked"}
    )
    assert response.status_code == 403 and _on_agendas(patient) == 0


# --- the automatic paths -------------------------------------------------------------------


def test_accepting_an_mdt_referral_for_a_person_who_refused_is_400_on_patient(
    api, member, meeting, refused, chair
):
    referral = _mdt_referral(refused, member("gp"))
    response = api(chair).post(f"/api/v1/referrals/{referral.pk}/accept/")
    assert response.status_code == 400 and list(response.json()) == ["patient"]
    referral.refresh_from_db()
    assert referral.status == "new" and _on_agendas(refused) == 0


def test_accepting_it_on_the_inbox_page_is_422_and_says_why(client, member, refused, chair):
    referral = _mdt_referral(refused, member("gp"))
    client.force_login(chair)
    response = client.post(f"/referrals/{referral.pk}/accept/", headers=HX)
    assert response.status_code == 422
    assert "refused discussion at the MDT" in words(response)
    assert Referral.objects.get(pk=referral.pk).status == "new"


def test_agenda_build_leaves_out_people_who_refused_since(member, network, meeting, chair):
    """Accepted before the refusal: the accepted referral no longer brings them."""
    person = PatientFactory(network=network)
    referral = _mdt_referral(person, member("gp"))
    referral_accept(referral=referral, by=chair)
    assert _on_agendas(person) == 1
    patient_record_consent(patient=person, by=chair, consent_mdt="refused", consent_sharing="given")
    assert _on_agendas(person) == 0
    assert services.agenda_build(meeting=meeting, by=chair) == []
    assert not services.agenda_may_grow(meeting)  # the chair is not offered it forever


def test_a_cancelled_meeting_carries_its_agenda_but_not_a_refusal(network, meeting, chair):
    person = PatientFactory(network=network)
    services.agenda_add(meeting=meeting, patient=person, by=chair, reason="Falls")
    # The refusal raced in below the services (as if recorded by another route).
    type(person).objects.filter(pk=person.pk).update(consent_mdt="refused")
    following = services.meeting_cancel(meeting=meeting, by=chair)
    assert following is not None and _on_agendas(person) == 0


# --- refusing takes the person off agendas not yet held -----------------------------------


def test_refusing_removes_from_meetings_not_yet_held_with_a_note(member, network, chair):
    person = PatientFactory(network=network, consent_mdt="given")
    past = services.next_meeting(network)
    held = services.agenda_add(meeting=past, patient=person, by=chair, reason="Falls")
    services.item_update(item=held, by=chair, decision="continue", notes="Seen")
    meeting_started(past)
    services.meeting_close(meeting=past, by=chair)
    upcoming = services.next_meeting(network)
    pending = AgendaItem.objects.get(meeting=upcoming, patient=person)
    worker = member("social_worker")

    patient_record_consent(
        patient=person, by=worker, consent_mdt="refused", consent_sharing="given"
    )

    pending.refresh_from_db()
    held.refresh_from_db()
    assert pending.status == "removed"
    when = datetime.date.today().strftime("%-d %b %Y")
    assert f"Removed: consent to MDT discussion withdrawn on {when}" in pending.notes
    assert (held.status, held.notes) == ("discussed", "Seen")  # history stays


# --- one not yet asked is marked -----------------------------------------------------------


def _meeting(network, days):
    when = timezone.now() + datetime.timedelta(days=days)
    return Meeting.objects.create(network=network, scheduled_for=when, starts_at=when)


def _agenda(network, meeting, chair, n):
    """n people: every third not yet asked, the others consenting."""
    return [
        services.agenda_add(
            meeting=meeting,
            patient=PatientFactory(
                network=network, consent_mdt="not_asked" if i % 3 == 0 else "given"
            ),
            by=chair,
            reason=f"{i}",
        )
        for i in range(n)
    ]


def test_the_agenda_page_and_meeting_mode_mark_who_was_not_yet_asked(client, network, chair):
    meeting = _meeting(network, 30)
    not_asked, asked = _agenda(network, meeting, chair, 2)
    assert (not_asked.patient.consent_mdt, asked.patient.consent_mdt) == ("not_asked", "given")
    client.force_login(chair)
    page = words(client.get(f"/meetings/{meeting.pk}/"))
    assert page.count(MARK) == 1
    assert page.index(not_asked.patient.full_name) < page.index(MARK)
    assert page.index(MARK) < page.index(asked.patient.full_name)
    run = words(client.get(f"/meetings/{meeting.pk}/run/{not_asked.pk}/"))
    assert f"Consent to discussion {MARK} Ask {not_asked.patient.given_name}" in run
    other = words(client.get(f"/meetings/{meeting.pk}/run/{asked.pk}/"))
    assert "Consent to discussion" not in other
    assert other.count(MARK) == 1  # only in the agenda beside, for the one not asked


def test_the_api_item_read_adds_consent_mdt(api, member, network, chair):
    meeting = _meeting(network, 30)
    _agenda(network, meeting, chair, 3)
    body = api(member("pharmacist")).get(f"/api/v1/huddles/{meeting.pk}/").json()
    got = {i["patient"]: i["consent_mdt"] for i in body["items"]}
    expected = dict(
        AgendaItem.objects.filter(meeting=meeting).values_list("patient_id", "patient__consent_mdt")
    )
    assert got == expected and sorted(set(got.values())) == ["given", "not_asked"]


@pytest.mark.parametrize("where", ["agenda", "run", "api"])
def test_the_mark_costs_no_query_per_person(
    client, api, member, network, chair, where, django_assert_max_num_queries
):
    client.force_login(chair)
    reader = api(member("pharmacist"))
    counts = []
    for n in (4, 30):
        meeting = _meeting(network, 10 + n)
        items = _agenda(network, meeting, chair, n)
        url = {
            "agenda": f"/meetings/{meeting.pk}/",
            "run": f"/meetings/{meeting.pk}/run/{items[1].pk}/",
            "api": f"/api/v1/huddles/{meeting.pk}/",
        }[where]
        get = reader.get if where == "api" else client.get
        get(url)  # the first GET may build the agenda; count the second
        with CaptureQueriesContext(connection) as ctx:
            response = get(url)
        assert response.status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts
    with django_assert_max_num_queries(counts[1]):
        get(url)


# --- a refusal and an addition at the same moment ------------------------------------------


def _until_someone_waits_for_a_lock(timeout: float = 20) -> bool:
    """Poll (on this thread's own connection) until another session waits for a row lock."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
            if cursor.fetchone()[0]:
                return True
        time.sleep(0.01)
    return False


@pytest.mark.django_db(transaction=True)
def test_an_addition_waits_for_a_refusal_being_recorded_and_then_refuses(network, member):
    """The refusal locks the person's row first; the chair's addition reads the consent under
    a lock too, so it waits, sees the refusal and adds nothing (without that lock it would
    read the consent as it was and insert once the refusal committed)."""
    chair, worker = member("chair"), member("social_worker")
    person = PatientFactory(network=network, consent_mdt="given")
    meeting = services.next_meeting(network)
    locked, waiting, outcome = threading.Event(), threading.Event(), []

    def refuse():
        try:
            with transaction.atomic():
                patient_record_consent(
                    patient=type(person).objects.get(pk=person.pk),
                    by=worker,
                    consent_mdt="refused",
                    consent_sharing="given",
                )
                locked.set()
                waiting.wait(timeout=20)  # the addition is waiting for this row: commit
        finally:
            connection.close()

    def add():
        try:
            locked.wait(timeout=20)
            services.agenda_add(meeting=meeting, patient=person, by=chair, reason="Falls")
            outcome.append("added")
        except ValidationError as exc:
            outcome.append(list(exc.message_dict))
        finally:
            connection.close()

    threads = [threading.Thread(target=refuse), threading.Thread(target=add)]
    for thread in threads:
        thread.start()
    locked.wait(timeout=20)
    saw_it_wait = _until_someone_waits_for_a_lock()
    waiting.set()
    for thread in threads:
        thread.join(timeout=40)
    assert saw_it_wait and outcome == [["patient"]]
    assert _on_agendas(person) == 0
