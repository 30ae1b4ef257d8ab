"""Entering a medicine with dm+d: the search (API and the form's htmx box), a code the loaded
release does not hold refused, and the dose returned as a FHIR Dosage."""

import pytest

from medicines.models import Medication

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("everyone_involved")]


@pytest.fixture
def pharmacist(member):
    return member("pharmacist")


def test_the_search_api_finds_by_word_prefix_and_by_code(api, pharmacist, dmd_release):
    response = api(pharmacist).get("/api/v1/dmd/", {"q": "atorva 20"})
    assert response.status_code == 200
    assert response.json() == [
        {
            "code": "320030001",
            "name": "Atorvastatin 20mg tablets",
            "kind": "vmp",
            "form": "Tablet",
            "strength": "20mg",
            "vmp_code": "",
        }
    ]
    by_code = api(pharmacist).get("/api/v1/dmd/", {"q": "7305311000001108"}).json()
    assert [(p["kind"], p["vmp_code"]) for p in by_code] == [("amp", "319283006")]
    too_long = api(pharmacist).get("/api/v1/dmd/", {"q": "a" * 101})
    assert too_long.status_code == 400 and "q" in too_long.json()


def test_the_search_api_query_count_is_constant(
    api, pharmacist, dmd_release, django_assert_max_num_queries
):
    client = api(pharmacist)
    client.get("/api/v1/dmd/", {"q": "lisinopril"})
    with django_assert_max_num_queries(20) as one:
        assert len(client.get("/api/v1/dmd/", {"q": "lisinopril"}).json()) == 1
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert len(client.get("/api/v1/dmd/", {"q": "tab"}).json()) == 25


def test_the_medication_api_refuses_a_code_not_in_dm_d_and_returns_the_dosage(
    api, pharmacist, patient, dmd_release
):
    body = {
        "patient": patient.pk,
        "name": "Amlodipine 5mg tablets",
        "dose_amount": "1",
        "frequency": "once_daily",
        "dmd_code": "39109011000001108",
    }
    refused = api(pharmacist).post("/api/v1/medications/", body, format="json")
    assert refused.status_code == 400
    assert "39109011000001108 is not in the dm+d" in refused.json()["dmd_code"][0]
    assert not Medication.objects.exists()
    created = api(pharmacist).post(
        "/api/v1/medications/", {**body, "dmd_code": "319283006"}, format="json"
    )
    assert created.status_code == 201, created.json()
    dosage = created.json()["dosage"]
    assert dosage["timing"]["repeat"] == {"frequency": 1, "period": 1, "periodUnit": "d"}
    assert dosage["doseAndRate"][0]["doseQuantity"] == {"value": 1.0, "unit": "tablet"}
    listed = api(pharmacist).get("/api/v1/medications/").json()["results"][0]
    assert listed["dosage"] == dosage and listed["dmd_code"] == "319283006"


def test_the_form_search_box_shows_buttons_that_carry_what_they_fill(client, login, dmd_release):
    login("pharmacist")
    response = client.get("/medicines/dmd-search/", {"q": "bisoprolol 2.5"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200 and "HX-Request" in response["Vary"]
    assert 'data-dmd-code="318605000"' in html
    assert 'data-dmd-name="Bisoprolol 2.5mg tablets"' in html
    assert 'data-dmd-strength="2.5mg"' in html and 'data-dmd-form="tablet"' in html
    nothing = client.get("/medicines/dmd-search/", {"q": "zzzz"}).content.decode()
    assert "Nothing in dm+d starts with" in nothing


def test_the_form_page_has_the_search_box_and_the_plain_fields(client, login, patient):
    login("pharmacist")
    html = client.get(f"/medicines/patients/{patient.pk}/medicines/new/").content.decode()
    assert 'id="dmd-q"' in html and 'hx-get="/medicines/dmd-search/"' in html
    assert 'name="name"' in html and 'name="dmd_code"' in html  # without script, typed
