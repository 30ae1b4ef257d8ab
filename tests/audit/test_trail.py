"""The network's access trail for the IG lead (and oversight roles): page, API and CSV
export, their filters and refusals; and the admin, which shows no one's record."""

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.models import AccessEvent
from audit.services import access_record, access_refused
from tests.factories import PatientFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def trail(member, network, other_network, patient, foreign_patient):
    """A gp's look at Edith, a refused look by the pic, a probe outside the networks, and a
    look in the other network."""
    gp = member("gp")
    pic = member("pic")
    access_record(user=gp, patients=[patient], what="detail", channel="page")
    access_refused(
        user=pic,
        patient_ref=patient.pk,
        patient=patient,
        what="detail",
        channel="api",
        outcome="denied",
    )
    access_refused(user=gp, patient_ref="999999", what="detail", channel="api", outcome="not_found")
    outsider = member("gp", net=other_network, username="gp.purbeck")
    access_record(user=outsider, patients=[foreign_patient], what="detail", channel="page")
    return {"gp": gp, "pic": pic, "outsider": outsider}


def _rows(response):
    return response.json()["results"]


def test_ig_lead_reads_the_whole_trail_of_their_network_only(api, member, trail, patient):
    ig = member("ig_lead")
    rows = _rows(api(ig).get("/api/v1/access-events/"))
    assert {r["username"] for r in rows} == {"gp.thornton-heath", "pic.thornton-heath"}
    edith = next(r for r in rows if r["patient"] == patient.pk and r["outcome"] == "allowed")
    assert edith["nhs_number"] == patient.nhs_number and edith["network"] == "thornton-heath"
    # The probe outside every network (not_found) is in the trail of the prober's network.
    assert any(r["outcome"] == "not_found" and r["patient_ref"] == "999999" for r in rows)


def test_reading_the_trail_is_itself_recorded(api, client, member, trail):
    ig = member("ig_lead")
    api(ig).get("/api/v1/access-events/")
    client.force_login(ig)
    client.get("/audit/")
    assert sorted(
        AccessEvent.objects.filter(user=ig).values_list("what", "channel", "patient_id")
    ) == [("access_trail", "api", None), ("access_trail", "page", None)]


@pytest.mark.parametrize(
    ("query", "users"),
    [
        ("user=pic.thornton-heath", {"pic.thornton-heath"}),
        ("refused=true", {"pic.thornton-heath", "gp.thornton-heath"}),
        ("person={nhs}", {"gp.thornton-heath", "pic.thornton-heath"}),
        ("person={nhs_spaced}", {"gp.thornton-heath", "pic.thornton-heath"}),
        ("person={pk}", {"gp.thornton-heath", "pic.thornton-heath"}),
        ("person=999999", {"gp.thornton-heath"}),
        ("date_from={today}&date_to={today}", {"gp.thornton-heath", "pic.thornton-heath"}),
        ("date_to={yesterday}", set()),
        ("date_from={tomorrow}", set()),
    ],
)
def test_filters(api, member, trail, patient, query, users):
    today = timezone.localdate()
    nhs = patient.nhs_number
    query = query.format(
        nhs=nhs,
        nhs_spaced=f"{nhs[:3]} {nhs[3:6]} {nhs[6:]}",
        pk=patient.pk,
        today=today,
        yesterday=today - timedelta(days=1),
        tomorrow=today + timedelta(days=1),
    )
    response = api(member("ig_lead")).get(f"/api/v1/access-events/?{query}")
    assert response.status_code == 200, response.content
    assert {r["username"] for r in _rows(response)} == users


def test_refused_only_shows_no_allowed_look(api, member, trail):
    rows = _rows(api(member("ig_lead")).get("/api/v1/access-events/?refused=true"))
    assert rows and all(r["outcome"] != "allowed" for r in rows)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("person=smith", "person"),
        ("person=1234567890", "person"),  # ten digits, bad check digit
        ("person=12345678901234567890", "person"),
        ("date_from=2024-13-01", "date_from"),
        ("date_from=1899-01-01", "date_from"),
        ("date_to=9999-12-31", "date_to"),
        ("date_from=2025-02-01&date_to=2025-01-01", "date_to"),
        ("user=" + "x" * 200, "user"),
    ],
)
def test_bad_filters_are_400_never_500(api, client, member, trail, query, field):
    ig = member("ig_lead")
    response = api(ig).get(f"/api/v1/access-events/?{query}")
    assert response.status_code == 400
    assert field in response.json()
    client.force_login(ig)
    page = client.get(f"/audit/?{query}")
    assert page.status_code == 422
    assert b"There is a problem with the filter" in page.content
    assert client.get(f"/audit/export.csv?{query}").status_code == 422


@pytest.mark.parametrize("role", ["chair", "integrated_manager", "manager", "ig_lead"])
def test_trail_roles_read_it(api, member, trail, role):
    assert api(member(role)).get("/api/v1/access-events/").status_code == 200


@pytest.mark.parametrize("role", ["gp", "pic", "pharmacist", "partner_system"])
def test_other_roles_are_refused(api, client, member, trail, role):
    user = member(role)
    assert api(user).get("/api/v1/access-events/").status_code == 403
    client.force_login(user)
    assert client.get("/audit/").status_code == 403
    assert client.get("/audit/export.csv").status_code == 403


def test_another_network_is_404_and_a_network_where_my_role_is_not_a_trail_role_403(
    api, member, network, other_network, trail
):
    from tests.factories import MembershipFactory

    ig = member("ig_lead")
    assert api(ig).get("/api/v1/access-events/?network=purbeck").status_code == 404
    MembershipFactory(user=ig, network=other_network, role="gp")
    assert api(ig).get("/api/v1/access-events/?network=purbeck").status_code == 403
    assert api(ig).get("/api/v1/access-events/?network=thornton-heath").status_code == 200


def test_ig_lead_opens_no_record(api, client, member, patient, trail):
    ig = member("ig_lead")
    assert api(ig).get(f"/api/v1/patients/{patient.pk}/").status_code == 403
    client.force_login(ig)
    assert client.get(f"/patients/{patient.pk}/").status_code == 403
    home = client.get("/")
    assert home["Location"] == "/audit/"
    page = client.get("/audit/")
    assert b"Access trail" in page.content and b">People<" not in page.content


def test_csv_export_is_filtered_and_recorded(client, member, trail, patient):
    ig = member("ig_lead")
    client.force_login(ig)
    response = client.get("/audit/export.csv?user=gp.thornton-heath")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["When", "Username", "Role"]
    assert {r[1] for r in rows[1:]} == {"gp.thornton-heath"}
    assert patient.nhs_number in {r[7] for r in rows[1:]}
    event = AccessEvent.objects.get(user=ig)
    assert (event.what, event.channel, event.patient_id) == ("access_trail", "export", None)


def test_csv_cells_cannot_be_formulas(client, member, network, patient):
    sneaky = UserFactory(username="=cmd|calc")
    from tests.factories import MembershipFactory

    MembershipFactory(user=sneaky, network=network, role="gp")
    access_record(user=sneaky, patients=[patient], what="detail", channel="page")
    client.force_login(member("ig_lead"))
    body = b"".join(client.get("/audit/export.csv").streaming_content).decode()
    assert "'=cmd|calc" in body and "\n=cmd" not in body


def test_export_queries_do_not_grow_with_rows(client, member, network):
    ig = member("ig_lead")
    client.force_login(ig)
    gp = member("gp")

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            response = client.get("/audit/export.csv")
            b"".join(response.streaming_content)
        return len(ctx.captured_queries)

    access_record(
        user=gp, patients=PatientFactory.create_batch(2, network=network), what="d", channel="page"
    )
    few = queries()
    access_record(
        user=gp, patients=PatientFactory.create_batch(40, network=network), what="d", channel="page"
    )
    assert queries() == few


def test_page_filters_and_paginates_with_labels(client, member, trail, patient):
    client.force_login(member("ig_lead"))
    response = client.get(f"/audit/?person={patient.pk}")
    assert response.status_code == 200
    body = response.content.decode()
    for label in ('for="id_person"', 'for="id_user"', 'for="id_date_from-day"', 'for="id_refused"'):
        assert label in body
    assert patient.full_name in body
    assert f"/audit/export.csv?person={patient.pk}" in body


def test_admin_shows_no_row_history_of_people(client, member, patient):
    """pghistory's event admin showed whole patient rows (clinical notes, NHS number)."""
    from patients.services import patient_update

    patient_update(
        patient=patient, by=member("chair"), clinical_allowed=True, clinical_notes="Secret AF"
    )
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    assert client.get("/admin/pghistory/events/").status_code == 404
    index = client.get("/admin/").content.decode()
    assert "pghistory" not in index.lower() and "Events" not in index
    for url in ("/admin/audit/accessevent/", "/admin/networks/membership/"):
        response = client.get(url)
        assert response.status_code == 200
        assert patient.nhs_number not in response.content.decode()
        assert "Secret AF" not in response.content.decode()


def test_the_page_loses_no_row_to_its_own_event(client, member, network):
    """The page's own event is written before it is counted, so the oldest row stays."""
    gp = member("gp")
    people = PatientFactory.create_batch(50, network=network)
    access_record(user=gp, patients=people, what="detail", channel="page")
    client.force_login(member("ig_lead"))
    body = client.get("/audit/").content.decode()
    assert "Page 1 of 2" in body  # 50 looks and the page's own event
