"""Case finding (issue #19): people not on the caseload ranked by a score whose reasons a
clinician can check (reports/case_finding.py), the API (GET /api/v1/case-finding/) and the page
(/reports/case-finding/) with the chair's "Add to next huddle"."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from audit.models import AccessEvent
from huddles.consent import MDT_REFUSED
from huddles.models import AgendaItem, Episode
from medicines.models import Medication
from referrals.models import PatientFlag, RedFlag
from reports.case_finding import case_finding, reasons
from reports.models import AdmissionEvent
from tests.factories import PatientFactory

from .helpers import message_texts, text

pytestmark = pytest.mark.django_db

PAGE = "/reports/case-finding/"
API = "/api/v1/case-finding/?network=thornton-heath"


def today() -> datetime.date:
    return timezone.localdate()


def admitted(person, days_ago: int, by, kind="emergency") -> None:
    AdmissionEvent.objects.create(
        network=person.network,
        patient=person,
        admitted_on=today() - datetime.timedelta(days=days_ago),
        kind=kind,
        recorded_by=by,
    )


def medicines(person, n: int, by, stopped: int = 0) -> None:
    for i in range(n + stopped):
        Medication.objects.create(
            patient=person,
            name=f"Medicine {i}",
            dose_amount=Decimal("1"),
            frequency="once_daily",
            stopped_on=today() if i >= n else None,
            created_by=by,
        )


def flagged(person, code: str, by, resolved: bool = False) -> None:
    PatientFlag.objects.create(
        patient=person,
        flag=RedFlag.objects.get(code=code),
        raised_from=PatientFlag.RaisedFrom.PATIENT,
        raised_by=by,
        resolved_at=timezone.now() if resolved else None,
    )


@pytest.fixture
def chair(member):
    return member("chair")


@pytest.fixture
def world(network, other_network, chair, member):
    """Edith scores 12 by hand: severe frailty 3; two emergency admissions in 12 months 2 x 2
    (one 400 days ago does not count); 11 active medicines 2 (a stopped one does not count);
    one active red flag 1 (a resolved one does not count); an elective admission 12 days ago
    2. Amos scores 2 (moderate frailty; 9 medicines are not ten). Ruth is severely frail but on
    the caseload; Mabel is mildly frail (no points); Walter is in another network."""
    edith = PatientFactory(network=network, given_name="Edith", family_name="Okafor")
    edith.frailty = "severe"
    edith.save()
    for days in (100, 200, 400):
        admitted(edith, days, chair)
    admitted(edith, 12, chair, kind="elective")
    admitted(edith, -3, chair)  # a date ahead (a typing slip) counts for nothing
    medicines(edith, 11, chair, stopped=1)
    flagged(edith, "fall", chair)
    flagged(edith, "loneliness", chair, resolved=True)
    amos = PatientFactory(
        network=network, given_name="Amos", family_name="Bell", frailty="moderate"
    )
    medicines(amos, 9, chair)
    ruth = PatientFactory(network=network, given_name="Ruth", family_name="Dyer", frailty="severe")
    Episode.objects.create(patient=ruth, network=network, opened_at=timezone.now())
    PatientFactory(network=network, given_name="Mabel", family_name="Ng", frailty="mild")
    PatientFactory(network=other_network, given_name="Walter", family_name="Pike", frailty="severe")
    return {"edith": edith, "amos": amos, "ruth": ruth}


EDITH_REASONS = [
    "Severe frailty (+3)",
    "2 emergency admissions in 12 months (+4)",
    "11 active medicines (+2)",
    "Red flag: Has fallen (+1)",
    "Admitted to hospital 12 days ago (+2)",
]


def test_score_and_reasons_as_computed_by_hand(network, chair, world):
    ranked = list(case_finding(chair, network))
    assert [(p.given_name, p.score) for p in ranked] == [("Edith", 12), ("Amos", 2)]
    assert reasons(ranked[0]) == EDITH_REASONS
    assert reasons(ranked[1]) == ["Moderate frailty (+2)"]


def test_weights_come_from_settings(settings, network, chair, world):
    settings.CASE_FINDING_WEIGHTS = {**settings.CASE_FINDING_WEIGHTS, "red_flag": 5, "MEDICINES": 9}
    ranked = list(case_finding(chair, network))
    assert [(p.given_name, p.score) for p in ranked] == [("Edith", 16), ("Amos", 4)]
    assert "Red flag: Has fallen (+5)" in reasons(ranked[0])
    assert reasons(ranked[1]) == ["Moderate frailty (+2)", "9 active medicines (+2)"]


def test_only_people_whose_clinical_detail_the_caller_reads(network, member, world):
    """Involvement required (the network's default): a GP involved with no one sees no one."""
    assert network.involvement_required
    assert list(case_finding(member("gp"), network)) == []


def test_api_lists_ranked_people_and_audits_each(api, chair, world):
    response = api(chair).get(API)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == 2
    first = body["results"][0]
    assert first == {
        "patient": world["edith"].pk,
        "name": "Edith Okafor",
        "nhs_number": world["edith"].nhs_number,
        "score": 12,
        "reasons": EDITH_REASONS,
    }
    events = AccessEvent.objects.filter(what="case_finding", channel="api", user=chair)
    assert sorted(events.values_list("patient_id", flat=True)) == sorted(
        [world["edith"].pk, world["amos"].pk]
    )


@pytest.mark.parametrize(
    ("role", "url", "status"),
    [
        ("gp", API, 200),
        ("integrated_manager", API, 200),
        ("pic", API, 403),
        ("manager", API, 403),
        ("ig_lead", API, 403),
        ("chair", "/api/v1/case-finding/?network=purbeck", 404),
        ("chair", "/api/v1/case-finding/?network=nowhere", 404),
        ("chair", "/api/v1/case-finding/", 400),
    ],
)
def test_api_who_may(api, member, world, role, url, status):
    response = api(member(role)).get(url)
    assert response.status_code == status, response.content
    if status != 200:
        assert not AccessEvent.objects.filter(what="case_finding").exists()


def test_page_shows_reasons_and_the_chairs_button(client, chair, world):
    client.force_login(chair)
    response = client.get(PAGE)
    assert response.status_code == 200
    page = text(response)
    assert "OKAFOR, Edith" in page and "BELL, Amos" in page
    assert "Ruth" not in page and "Mabel" not in page and "Walter" not in page
    for reason in EDITH_REASONS:
        assert reason in page
    assert page.count("Add to next huddle") == 2
    assert AccessEvent.objects.filter(what="case_finding", channel="page").count() == 2


def test_page_for_a_clinical_member_has_no_button(client, member, everyone_involved, world):
    client.force_login(member("gp"))
    response = client.get(PAGE)
    assert response.status_code == 200
    assert "OKAFOR, Edith" in text(response)
    assert "Add to next huddle" not in text(response)


def test_page_refuses_non_clinical_roles(client, member, world):
    client.force_login(member("pic"))
    assert client.get(PAGE).status_code == 403
    assert not AccessEvent.objects.filter(what="case_finding").exists()


def _add(client, person):
    return client.post(f"{PAGE}{person.pk}/add/")


def test_chair_adds_a_person_to_the_next_agenda_in_one_step(client, chair, world):
    client.force_login(chair)
    response = _add(client, world["amos"])
    assert response.status_code == 302 and response["Location"] == PAGE
    item = AgendaItem.objects.get(patient=world["amos"])
    assert item.source == AgendaItem.Source.MANUAL
    assert item.reason == "Suggested by case finding, score 2: Moderate frailty (+2)"
    assert item.meeting.starts_at >= timezone.now()
    assert any("Amos Bell is on the agenda of" in m for m in message_texts(response))
    # Now on the caseload (the agenda opens an episode): off the list.
    assert [p.given_name for p in case_finding(chair, world["amos"].network)] == ["Edith"]
    again = _add(client, world["amos"])
    assert message_texts(again)[-1] == "Amos Bell is already on this agenda."
    assert AgendaItem.objects.filter(patient=world["amos"]).count() == 1


def test_consent_refused_is_said_and_nothing_saved(client, chair, world):
    edith = world["edith"]
    edith.consent_mdt = "refused"
    edith.save()
    client.force_login(chair)
    response = _add(client, edith)
    assert response.status_code == 302
    assert message_texts(response) == [MDT_REFUSED.format(name="Edith Okafor")]
    assert not AgendaItem.objects.filter(patient=edith).exists()
    assert not Episode.objects.filter(patient=edith).exists()


def test_bad_add_requests_save_nothing(client, chair, member, other_network, world):
    foreign = PatientFactory(network=other_network, given_name="Walter", family_name="Roe")
    client.force_login(chair)
    assert _add(client, foreign).status_code == 404
    assert client.post(f"{PAGE}999999/add/").status_code == 404
    assert client.get(f"{PAGE}{world['amos'].pk}/add/").status_code == 405
    client.force_login(member("gp"))
    assert _add(client, world["amos"]).status_code == 403
    assert not AgendaItem.objects.exists()


def _grow(network, chair, n: int) -> None:
    for i in range(n):
        person = PatientFactory(network=network, family_name=f"Grow{i}", frailty="severe")
        admitted(person, 5, chair)
        medicines(person, 1, chair)
        flagged(person, "fall", chair)


@pytest.mark.parametrize("channel", ["page", "api"])
def test_queries_constant_with_rows(
    client, api, chair, network, channel, django_assert_max_num_queries
):
    """2 people, then 20: the page and the API issue no more queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(chair)
    get = (lambda: client.get(PAGE)) if channel == "page" else (lambda: api(chair).get(API))
    _grow(network, chair, 2)
    with CaptureQueriesContext(connection) as few:
        assert get().status_code == 200
    _grow(network, chair, 18)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = get()
    assert response.status_code == 200
    listed = AccessEvent.objects.filter(what="case_finding", channel=channel)
    assert listed.count() == 2 + 20


def test_the_meetings_page_leads_clinical_roles_to_case_finding(client, member, network):
    client.force_login(member("chair"))
    assert 'href="/reports/case-finding/"' in client.get("/meetings/").content.decode()
    client.force_login(member("pic"))
    response = client.get("/meetings/")
    assert response.status_code == 200
    assert 'href="/reports/case-finding/"' not in response.content.decode()
