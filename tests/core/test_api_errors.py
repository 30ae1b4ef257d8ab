"""The API's error conventions (API.md), as the fuzz test (tests/test_api_fuzz.py) found them
wanting: NUL characters, URLs that match no route, and error responses the schema omitted."""

import pytest

from tests.openapi import raw_schema

pytestmark = pytest.mark.django_db
NUL = "x\x00"
PERSON = {"nhs_number": "9990000018", "given_name": "Ada", "family_name": "Lo"}


@pytest.mark.parametrize(
    ("method", "url", "data", "field"),
    [
        ("post", "/api/v1/patients/", {**PERSON, "network": NUL}, "network"),
        ("patch", "/api/v1/patients/{patient}/", {"care_home": NUL}, "care_home"),
        ("post", "/api/v1/tasks/", {"title": "Ring", "assignee": NUL}, "assignee"),
        ("post", "/api/v1/visits/", {"kind": "home", "joint_visitor": NUL}, "joint_visitor"),
        (
            "post",
            "/api/v1/referrals/",
            {"service": "gp", "reason": "r", "source_organisation": NUL},
            "source_organisation",
        ),
    ],
)
def test_nul_character_in_a_lookup_is_400_not_500(api, member, patient, method, url, data, field):
    """Slug lookups sent the NUL to PostgreSQL, which refuses it: a server error."""
    client = api(member("chair"))
    response = getattr(client, method)(
        url.format(patient=patient.pk), {"patient": patient.pk, **data}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {field: ["Null characters are not allowed."]}


def test_nul_character_in_the_query_is_400_and_in_the_path_404(api, member):
    client = api(member("chair"))
    response = client.get("/api/v1/reports/admissions-avoided/", {"network": NUL})
    assert response.status_code == 400 and "network" in response.json()
    response = client.get("/api/v1/networks/x%00/")
    assert response.status_code == 404 and response.json() == {"detail": "Not found."}


def test_an_api_url_matching_no_route_is_a_json_404(api, member, client):
    response = api(member("chair")).get("/api/v1/huddles/1/items/not-a-number/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}
    page = client.get("/no-such-page/")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")


def test_the_schema_documents_the_error_responses():
    paths = raw_schema()["paths"]
    for path, operations in paths.items():
        for method, operation in operations.items():
            responses = set(operation["responses"])
            if operation.get("security"):
                assert {"401", "403"} <= responses, (method, path)
            if "{" in path and operation.get("security"):
                assert "404" in responses, (method, path)
            if "requestBody" in operation:
                assert "400" in responses, (method, path)
    patients = paths["/api/v1/patients/"]
    assert set(patients["get"]["responses"]) >= {"400", "401", "403", "404"}
    assert set(patients["post"]["responses"]) >= {"201", "400", "401", "403", "409"}
    assert set(paths["/api/v1/me/"]["get"]["responses"]) == {"200", "401", "403"}
