"""/patients/import/: people from a CSV on a page. Check (every row's result, nothing
saved), then import what was checked; any bad row named by its line and nothing saved."""

import re
import time

import pytest
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile

from audit.models import AccessEvent
from core.nhs_number import synthetic
from patients import import_views
from patients.models import Patient
from tests.patients.test_import import HEADER, csv_of

pytestmark = pytest.mark.django_db

URL = "/patients/import/"


def check(client, text: str, name: str = "people.csv"):
    return client.post(URL, {"file": SimpleUploadedFile(name, text.encode(), "text/csv")})


def payload_of(page: str) -> str:
    return re.search(r'name="payload" value="([^"]+)"', page).group(1)


def test_check_shows_each_row_saves_nothing_then_import_saves_it(client, member, patient, practice):
    nurse = member("community_nurse")
    client.force_login(nurse)
    text = csv_of(2) + f"{patient.nhs_number},Edith,Okafor-Brown,1940-01-01,H81001,,\n"
    response = check(client, text)
    page = response.content.decode()
    assert response.status_code == 200
    assert "The file is ready to import" in page
    assert page.count("Will be added") == 2 and "Will be updated" in page
    assert "family_name" in page  # what an update changes
    assert "Import 3 people" in page
    assert Patient.objects.count() == 1  # the check saves nothing
    patient.refresh_from_db()
    assert patient.family_name == "Okafor"

    response = client.post(URL, {"payload": payload_of(page)})
    assert response.status_code == 302 and response["Location"] == "/patients/"
    assert Patient.objects.count() == 3
    patient.refresh_from_db()
    assert patient.family_name == "Okafor-Brown"
    assert Patient.objects.get(nhs_number=synthetic(0)).created_by == nurse
    listed = client.get("/patients/").content.decode()
    assert "Imported: 2 added, 1 updated, 0 unchanged." in listed
    assert AccessEvent.objects.filter(user=nurse, what="import", channel="page").count() == 3


def test_the_same_file_again_has_nothing_to_import(client, member, network, practice):
    client.force_login(member("gp"))
    client.post(URL, {"payload": payload_of(check(client, csv_of(2)).content.decode())})
    page = check(client, csv_of(2)).content.decode()
    assert "there is nothing to import" in page
    assert 'name="payload"' not in page
    assert Patient.objects.count() == 2


def test_a_bad_row_is_named_by_line_and_nothing_can_be_imported(client, member, practice):
    client.force_login(member("pharmacist"))
    bad = "9990000019,Bad,Number,1938-04-02,H81001,,\n"
    text = csv_of(1) + bad + csv_of(1, start=5)[len(HEADER) :]
    response = check(client, text)
    page = response.content.decode()
    assert response.status_code == 422
    assert "1 problem in the file: nothing has been saved" in page
    assert 'href="#line-3">Line 3, nhs_number:' in page
    assert 'id="line-3"' in page and 'id="line-2"' not in page  # only the rows with problems
    assert 'name="payload"' not in page
    assert not Patient.objects.exists()


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "the file is empty"),
        ("name,date\nAnn,2020-01-01\n", "the first row must name the columns"),
        (HEADER, "There are no people under the first row"),
    ],
)
def test_a_file_that_is_not_a_people_csv_is_a_clear_error(client, member, text, words):
    client.force_login(member("gp"))
    response = check(client, text)
    assert response.status_code == 422
    assert words in response.content.decode()
    assert not Patient.objects.exists()


def test_no_file_is_a_clear_error(client, member):
    client.force_login(member("gp"))
    response = client.post(URL, {})
    assert response.status_code == 422
    assert "Choose a CSV file to check." in response.content.decode()


class SignedLongAgo(signing.TimestampSigner):
    """A check signed longer ago than a check may be imported (a real old signature)."""

    def timestamp(self) -> str:
        return signing.b62_encode(int(time.time()) - import_views.PREVIEW_MAX_AGE - 60)


def test_a_tampered_or_expired_check_imports_nothing(client, member, network, practice):
    gp = member("gp")
    client.force_login(gp)
    payload = payload_of(check(client, csv_of(2)).content.decode())
    tampered = client.post(URL, {"payload": payload[:-2] + "xx"})
    assert tampered.status_code == 422 and "has expired or was changed" in tampered.content.decode()
    old = SignedLongAgo(salt=import_views.SALT).sign_object(
        {"network": network.pk, "user": gp.pk, "text": csv_of(2)}, compress=True
    )
    expired = client.post(URL, {"payload": old})
    assert expired.status_code == 422 and "has expired or was changed" in expired.content.decode()
    assert not Patient.objects.exists()


def test_a_check_is_the_checkers_own_and_for_their_network(
    client, member, network, other_network, practice
):
    client.force_login(member("gp"))
    payload = payload_of(check(client, csv_of(1)).content.decode())
    client.force_login(member("community_nurse"))
    assert client.post(URL, {"payload": payload}).status_code == 422
    forged = signing.dumps(
        {"network": other_network.pk, "user": member("gp").pk, "text": csv_of(1)},
        salt=import_views.SALT,
        compress=True,
    )
    client.force_login(member("gp"))
    assert client.post(URL, {"payload": forged}).status_code == 422
    assert not Patient.objects.exists()


def test_a_row_made_bad_since_the_check_is_shown_and_nothing_saved(client, member, practice):
    client.force_login(member("gp"))
    payload = payload_of(check(client, csv_of(2)).content.decode())
    network = practice.networks.get()
    network.gp_practices.remove(practice)  # the practice left the network meanwhile
    response = client.post(URL, {"payload": payload})
    assert response.status_code == 422
    assert "Line 2, gp_practice:" in response.content.decode()
    assert not Patient.objects.exists()


@pytest.mark.parametrize("role", ["manager", "ig_lead", "partner_system"])
def test_roles_that_may_not_add_people_are_refused(client, member, role, practice):
    client.force_login(member(role))
    assert client.get(URL).status_code == 403
    assert check(client, csv_of(1)).status_code == 403
    assert not Patient.objects.exists()


def test_the_list_offers_the_import_to_those_who_may(client, member):
    client.force_login(member("pic"))
    assert URL in client.get("/patients/").content.decode()
    assert client.get(URL).status_code == 200


def test_queries_do_not_grow_with_rows(client, member, practice, django_assert_max_num_queries):
    client.force_login(member("gp"))
    check(client, csv_of(2))
    with django_assert_max_num_queries(20) as small:
        page = check(client, csv_of(3, start=10)).content.decode()
    with django_assert_max_num_queries(len(small.captured_queries)):
        check(client, csv_of(40, start=20))
    with django_assert_max_num_queries(30):
        client.post(URL, {"payload": payload_of(page)})
