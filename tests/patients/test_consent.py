"""A best-interests decision names who took it (issue 17 item 2): required while either
consent is `best_interest`, on the consent page (422) and in the API (400), shown on the
person's page and read back by the API; each change of consent is on the timeline."""

import datetime
import html
import re

import pytest

from patients.models import Patient
from patients.services import patient_record_consent
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

WHO = "Dr A Shah, GP"


def words(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html.unescape(response.content.decode())).split())


@pytest.fixture
def person(network):
    return PatientFactory(network=network, consent_sharing="not_asked")


def _unchanged(person) -> bool:
    fresh = Patient.objects.get(pk=person.pk)
    return (fresh.consent_mdt, fresh.consent_sharing, fresh.consent_recorded_at) == (
        "not_asked",
        "not_asked",
        None,
    )


@pytest.mark.parametrize("field", ["consent_mdt", "consent_sharing"])
def test_consent_page_best_interests_without_who_is_422_and_nothing_saved(
    client, member, person, field
):
    client.force_login(member("community_nurse"))
    data = {"consent_mdt": "not_asked", "consent_sharing": "not_asked", field: "best_interest"}
    response = client.post(f"/patients/{person.pk}/consent/", data)
    assert response.status_code == 422
    assert "Say who took the best-interests decision" in words(response)
    assert _unchanged(person)


def test_consent_page_best_interests_with_who_is_shown_on_the_person_page(client, member, person):
    client.force_login(member("social_worker"))
    form = words(client.get(f"/patients/{person.pk}/consent/"))
    assert "Best-interests decision taken by" in form
    response = client.post(
        f"/patients/{person.pk}/consent/",
        {
            "consent_mdt": "given",
            "consent_sharing": "best_interest",
            "consent_best_interest_by": f"  {WHO} ",
        },
    )
    assert response.status_code == 302
    person.refresh_from_db()
    today = datetime.date.today()
    assert (person.consent_best_interest_by, person.consent_best_interest_on) == (WHO, today)
    page = words(client.get(f"/patients/{person.pk}/"))
    assert f"Best-interests decision by {WHO} on {today:%-d %b %Y}" in page


def test_a_decision_that_is_no_longer_best_interests_clears_who(member, person):
    gp = member("gp")
    patient_record_consent(
        patient=person,
        by=gp,
        consent_mdt="best_interest",
        consent_sharing="given",
        consent_best_interest_by=WHO,
    )
    patient_record_consent(patient=person, by=gp, consent_mdt="given", consent_sharing="given")
    person.refresh_from_db()
    assert (person.consent_best_interest_by, person.consent_best_interest_on) == ("", None)
    assert person.events.filter(consent_best_interest_by=WHO).exists()  # the history keeps it


def test_api_best_interests_needs_who_and_reads_it_back(api, member, person):
    client = api(member("pharmacist"))
    url = f"/api/v1/patients/{person.pk}/"
    refused = client.patch(url, {"consent_sharing": "best_interest"}, format="json")
    assert refused.status_code == 400
    assert list(refused.json()) == ["consent_best_interest_by"]
    assert _unchanged(person)
    future = (datetime.date.today() + datetime.timedelta(days=2)).isoformat()
    late = client.patch(
        url,
        {
            "consent_sharing": "best_interest",
            "consent_best_interest_by": WHO,
            "consent_best_interest_on": future,
        },
        format="json",
    )
    assert late.status_code == 400 and "consent_best_interest_on" in late.json()
    assert _unchanged(person)
    ok = client.patch(
        url,
        {
            "consent_sharing": "best_interest",
            "consent_best_interest_by": WHO,
            "consent_best_interest_on": "2026-11-30",
        },
        format="json",
    )
    assert ok.status_code == 200
    body = ok.json()
    assert (body["consent_sharing"], body["consent_best_interest_by"]) == ("best_interest", WHO)
    assert body["consent_best_interest_on"] == "2026-11-30"
    read = client.get(url).json()
    assert read["consent_best_interest_by"] == WHO
    listed = client.get("/api/v1/patients/", {"q": person.family_name}).json()["results"]
    row = next(r for r in listed if r["id"] == person.pk)
    assert (row["consent_best_interest_by"], row["consent_best_interest_on"]) == (
        WHO,
        "2026-11-30",
    )


@pytest.mark.parametrize("role", ["manager", "care_home_staff"])
def test_roles_that_may_not_record_consent_are_refused_on_the_page(client, member, person, role):
    client.force_login(member(role))
    response = client.post(
        f"/patients/{person.pk}/consent/",
        {"consent_mdt": "refused", "consent_sharing": "refused"},
    )
    assert response.status_code in (403, 404) and _unchanged(person)


def test_every_change_of_consent_is_on_the_timeline_with_who(client, member, person):
    gp, worker = member("gp"), member("social_worker")
    patient_record_consent(patient=person, by=gp, consent_mdt="given", consent_sharing="given")
    patient_record_consent(
        patient=person, by=worker, consent_mdt="given", consent_sharing="refused"
    )
    client.force_login(member("pic"))  # not clinical, and still sees the consents
    page = words(client.get(f"/patients/{person.pk}/timeline/"))
    worker.refresh_from_db()
    gp.refresh_from_db()
    assert f"Consent to share withdrawn {worker.get_full_name()}, Social worker" in page
    assert f"Consent to share: given {gp.get_full_name()}, GP" in page
    assert f"Consent to MDT discussion: given {gp.get_full_name()}, GP" in page
    assert page.count("Consent to MDT discussion") == 1  # unchanged the second time
