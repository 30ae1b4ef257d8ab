"""Subject access requests: the IG lead finds a person by NHS number and takes away
everything ICN holds about them, as JSON and PDF; the request is itself recorded."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import AccessEvent
from governance.models import SubjectAccessRequest
from governance.walk import person_tables
from tests.factories import PatientFactory

from .people import hold_everything

pytestmark = pytest.mark.django_db
URL = "/governance/subject-access/"
API = "/api/v1/subject-access/"


@pytest.fixture
def ig(member):
    return member("ig_lead")


def _ask(client, ig, patient, reference="Letter of 3 March 2026"):
    client.force_login(ig)
    return client.post(URL, {"nhs_number": patient.nhs_number, "reference": reference})


def test_the_request_is_recorded_and_leads_to_the_downloads(client, ig, member, patient):
    hold_everything(patient, member("pharmacist"))
    response = _ask(client, ig, patient)
    sar = SubjectAccessRequest.objects.get(requested_by=ig)
    assert response.status_code == 302 and response["Location"] == f"{URL}{sar.pk}/"
    assert sar.patient == patient and sar.reference == "Letter of 3 March 2026"
    assert sar.nhs_number_hash and patient.nhs_number not in sar.nhs_number_hash
    event = AccessEvent.objects.get(user=ig, what="subject_access")
    assert (event.patient_id, event.channel, event.outcome) == (patient.pk, "page", "allowed")

    page = client.get(response["Location"])
    assert page.status_code == 200
    assert b"History of visits" in page.content and b"Download the PDF" in page.content


def test_the_json_bundle_holds_every_table_with_labels(client, ig, member, patient):
    pharmacist = member("pharmacist")
    pharmacist.first_name, pharmacist.last_name = "Priya", "Shah"
    pharmacist.save()
    hold_everything(patient, pharmacist)
    _ask(client, ig, patient)
    sar = SubjectAccessRequest.objects.get(requested_by=ig)
    response = client.get(f"{URL}{sar.pk}/bundle.json")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    bundle = json.loads(response.content)
    tables = {t["table"]: t for t in bundle["tables"]}
    assert set(tables) == {h.label for h in person_tables()}
    assert all(tables[label]["rows"] for label in tables), "a table with no row"
    assert bundle["person"]["nhs_number"] == patient.nhs_number
    assert bundle["request"]["reference"] == "Letter of 3 March 2026"
    visit = tables["medicines.Visit"]
    assert {"name": "summary", "label": "Summary"} in visit["columns"]
    assert visit["rows"][0]["summary"] == "Seen at home"
    history = tables["medicines.VisitEvent"]
    assert history["label"] == "History of visits"
    assert {"name": "pgh_created_at", "label": "Version recorded at"} in history["columns"]
    assert visit["rows"][0]["kind"]["code"] == "home" and visit["rows"][0]["kind"]["label"]
    note = tables["notifications.Notification"]["rows"][0]
    assert note["recipient_id"]["name"] == "Priya Shah"
    trail = tables["audit.AccessEvent"]["rows"]
    assert {row["what"] for row in trail} >= {"record", "subject_access"}
    assert AccessEvent.objects.filter(user=ig, what="subject_access", channel="export").exists()


def test_the_pdf(client, ig, member, patient):
    hold_everything(patient, member("pharmacist"))
    _ask(client, ig, patient)
    sar = SubjectAccessRequest.objects.get(requested_by=ig)
    response = client.get(f"{URL}{sar.pk}/bundle.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert "no-store" in response["Cache-Control"]


def test_unknown_nhs_number_is_said_clearly_and_recorded(client, ig, network):
    stranger = PatientFactory.build(network=network)  # a valid number ICN does not hold
    response = _ask(client, ig, stranger)
    assert response.status_code == 422
    assert b"No one with that NHS number in Thornton Heath" in response.content
    sar = SubjectAccessRequest.objects.get(requested_by=ig)
    assert sar.patient is None
    event = AccessEvent.objects.get(user=ig, what="subject_access")
    assert event.outcome == "not_found" and event.patient_ref == f"subject access {sar.pk}"
    assert stranger.nhs_number not in event.path + event.patient_ref


@pytest.mark.parametrize(
    ("nhs_number", "reference", "field"),
    [("", "Letter", "nhs_number"), ("1234567890", "Letter", "nhs_number"), (None, "", "reference")],
)
def test_bad_input_is_422_and_saves_nothing(client, ig, patient, nhs_number, reference, field):
    client.force_login(ig)
    data = {"nhs_number": patient.nhs_number if nhs_number is None else nhs_number}
    response = client.post(URL, {**data, "reference": reference})
    assert response.status_code == 422
    assert response.context["form"].errors[field]
    assert not SubjectAccessRequest.objects.exists()
    assert not AccessEvent.objects.filter(what="subject_access").exists()


def test_another_ig_lead_cannot_open_the_request(client, ig, member, patient, other_network):
    _ask(client, ig, patient)
    sar = SubjectAccessRequest.objects.get()
    outsider = member("ig_lead", net=other_network, username="ig.purbeck")
    client.force_login(outsider)
    assert client.get(f"{URL}{sar.pk}/bundle.json").status_code == 404
    client.force_login(member("chair"))
    assert client.get(f"{URL}{sar.pk}/bundle.json").status_code == 403


def test_api_gives_the_bundle(api, ig, member, patient):
    hold_everything(patient, member("pharmacist"))
    body = {"network": "thornton-heath", "nhs_number": patient.nhs_number, "reference": "L"}
    response = api(ig).post(API, body, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["person"]["nhs_number"] == patient.nhs_number
    assert AccessEvent.objects.filter(user=ig, what="subject_access", channel="api").exists()
    assert SubjectAccessRequest.objects.get(requested_by=ig).channel == "api"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"nhs_number": "9990000000", "reference": "L"}, "nhs_number"),
        ({"reference": "L"}, "nhs_number"),
        ({"nhs_number": "NHS", "reference": ""}, "reference"),
        ({"nhs_number": "9990000018", "reference": "a\nb"}, "reference"),
    ],
)
def test_api_bad_input_is_400(api, ig, body, field):
    response = api(ig).post(API, {"network": "thornton-heath", **body}, format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_api_unknown_person_is_400_naming_the_network(api, ig, network):
    stranger = PatientFactory.build(network=network)
    body = {"network": "thornton-heath", "nhs_number": stranger.nhs_number, "reference": "L"}
    response = api(ig).post(API, body, format="json")
    assert response.status_code == 400
    assert response.json()["nhs_number"] == ["No one with that NHS number in Thornton Heath."]
    assert SubjectAccessRequest.objects.get().patient is None  # recorded all the same


def _queries(api, ig, patient):
    body = {"network": "thornton-heath", "nhs_number": patient.nhs_number, "reference": "L"}
    with CaptureQueriesContext(connection) as queries:
        assert api(ig).post(API, body, format="json").status_code == 200
    return len(queries)


def test_query_count_does_not_grow_with_the_persons_rows(
    api, ig, member, network, django_assert_max_num_queries
):
    by = member("pharmacist")
    one, twenty = PatientFactory(network=network), PatientFactory(network=network)
    hold_everything(one, by, n=1)
    hold_everything(twenty, by, n=20)
    api(ig)  # the token, made outside the count
    assert _queries(api, ig, one) == _queries(api, ig, twenty)
    body = {"network": "thornton-heath", "nhs_number": twenty.nhs_number, "reference": "L"}
    with django_assert_max_num_queries(len(person_tables()) + 25):
        api(ig).post(API, body, format="json")


def test_a_notices_email_copy_about_others_is_left_out(api, ig, member, patient):
    from notifications.services import notification_send

    notice = notification_send(
        recipient=member("gp"),
        kind="minutes",
        title="Minutes",
        occurrence="m1",
        patient=patient,
        body="Discussed",
    )
    type(notice).objects.filter(pk=notice.pk).update(email_body="Walter Pike: new referral")
    body = {"network": "thornton-heath", "nhs_number": patient.nhs_number, "reference": "L"}
    response = api(ig).post(API, body, format="json")
    assert "Walter Pike" not in response.content.decode()
    assert "Discussed" in response.content.decode()


def test_the_pdf_shows_each_earlier_version_by_what_differed(ig, member, patient):
    from governance.selectors import subject_access_bundle
    from governance.services import subject_access_request_answer
    from governance.views import printable
    from patients.models import Goal

    gp = member("gp")
    goal = Goal.objects.create(
        patient=patient, description="Walk to the shop", agreed_on="2025-01-02", agreed_by=gp
    )
    Goal.objects.filter(pk=goal.pk).update(description="Walk to the park")
    answer = subject_access_request_answer(
        network=patient.network,
        nhs_number=patient.nhs_number,
        reference="L",
        channel="page",
        by=ig,
    )
    tables = {t["table"]: t for t in printable(subject_access_bundle(answer.request))}
    versions = tables["patients.GoalEvent"]["rows"]
    assert len(versions) == 2
    newest, first = (dict(v) for v in versions)
    assert "Description" not in newest  # as the goal is now
    assert first["Description"] == "Walk to the shop"
    assert "Agreed on" not in first  # unchanged since
    assert dict(tables["patients.Goal"]["rows"][0])["Description"] == "Walk to the park"
