"""POST /api/v1/patients/import/: people from a CSV file, matched by NHS number."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audit.models import AccessEvent
from core.nhs_number import synthetic
from networks.models import Organisation
from patients.models import Patient
from tests.factories import OrganisationFactory, PatientFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/patients/import/"
HEADER = "nhs_number,given_name,family_name,date_of_birth,gp_practice,postcode,care_home\n"


def csv_of(n: int, *, start: int = 0, practice: str = "H81001") -> str:
    return HEADER + "".join(
        f"{synthetic(start + 2 * i)},Ann{i},Smith,02/04/1938,{practice},CR7 7AA,\n"
        for i in range(n)
    )


def upload(api, user, text: str, **data):
    file = SimpleUploadedFile("people.csv", text.encode(), "text/csv")
    return api(user).post(URL, {"file": file, **data}, format="multipart")


def test_good_file_creates_then_same_file_changes_nothing(api, member, network, practice):
    nurse = member("community_nurse")
    response = upload(api, nurse, csv_of(3))
    assert response.status_code == 200, response.json()
    assert response.json() == {"created": 3, "updated": 0, "unchanged": 0}
    person = Patient.objects.get(nhs_number=synthetic(0))
    assert (person.network, person.gp_practice, person.created_by) == (network, practice, nurse)
    assert str(person.date_of_birth) == "1938-04-02"
    again = upload(api, nurse, csv_of(3))
    assert again.json() == {"created": 0, "updated": 0, "unchanged": 3}
    assert Patient.objects.count() == 3
    assert AccessEvent.objects.filter(what="import", user=nurse).count() == 6


def test_changed_fields_update_the_person_matched_by_nhs_number(api, member, patient, practice):
    text = HEADER + f"{patient.nhs_number},Edith,Okafor-Brown,1940-01-01,h81001,SE1 1AA,\n"
    response = upload(api, member("gp"), text)
    assert response.json() == {"created": 0, "updated": 1, "unchanged": 0}
    patient.refresh_from_db()
    assert (patient.family_name, patient.gp_practice, patient.postcode) == (
        "Okafor-Brown",
        practice,
        "SE1 1AA",
    )


def test_a_bad_row_is_400_naming_its_line_and_field_and_nothing_is_saved(
    api, member, network, practice
):
    text = (
        csv_of(1)
        + "9990000019,Bad,Number,1938-04-02,H81001,,\n"
        + csv_of(1, start=5)[len(HEADER) :]
    )
    response = upload(api, member("pharmacist"), text)
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert [(e["line"], e["field"]) for e in errors] == [(3, "nhs_number")]
    assert "check digit" in errors[0]["message"]
    assert not Patient.objects.exists()


@pytest.mark.parametrize(
    ("row", "field", "words"),
    [
        ("{n},Ann,Smith,31/02/1938,H81001,,", "date_of_birth", "not a date"),
        ("{n},Ann,Smith,2999-01-01,H81001,,", "date_of_birth", "future"),
        ("{n},,Smith,1938-01-01,H81001,,", "given_name", "blank"),
        ("{n},Ann,Smith,1938-01-01,ZZZ999,,", "gp_practice", "No GP practice"),
        ("{n},Ann,Smith,1938-01-01,H81001,,CH1", "care_home", "No care home"),
    ],
)
def test_each_bad_field_is_named(api, member, practice, row, field, words):
    response = upload(api, member("pharmacist"), HEADER + row.format(n=synthetic(1)) + "\n")
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert (error["line"], error["field"]) == (2, field)
    assert words in error["message"]


def test_the_same_nhs_number_twice_is_refused(api, member, practice):
    response = upload(api, member("pharmacist"), csv_of(1) + csv_of(1)[len(HEADER) :])
    assert response.json()["errors"] == [
        {"line": 3, "field": "nhs_number", "message": "This NHS number is also on line 2."}
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the file is empty."),
        ("nhs_number,given_name\n1,2\n", "the first row must name the columns"),
        (HEADER.replace("postcode", "religion"), "unknown column 'religion'"),
        (HEADER, "There are no people under the first row."),
    ],
)
def test_a_file_that_cannot_be_read_is_400_on_file(api, member, network, text, message):
    response = upload(api, member("pharmacist"), text)
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["field"] == "file"
    assert message in error["message"]


def test_a_nul_character_in_a_field_name_is_400_in_the_import_shape(api, member, practice):
    """Found by the API fuzz test: the check every API view makes first answered in the
    plain `{field: [...]}` shape, not the import's `{"errors": [...]}`."""
    response = upload(api, member("pharmacist"), csv_of(1), **{"odd\x00name": "x"})
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error == {
        "line": None,
        "field": "oddname",
        "message": "Null characters are not allowed.",
    }
    assert not Patient.objects.exists()


def test_a_file_over_the_limit_is_refused_whole(api, member, network):
    response = upload(api, member("pharmacist"), HEADER + "x" * 1_000_001)
    assert response.status_code == 400
    assert "larger than 1,000,000 bytes" in response.json()["errors"][0]["message"]


def test_dry_run_counts_and_saves_nothing(api, member, patient, practice):
    text = csv_of(2) + f"{patient.nhs_number},Edith,Okafor,1940-01-01,H81001,,\n"
    response = upload(api, member("pharmacist"), text, dry_run="true")
    assert response.json() == {"created": 2, "updated": 1, "unchanged": 0}
    assert Patient.objects.count() == 1
    patient.refresh_from_db()
    assert patient.gp_practice is None


@pytest.mark.parametrize("role", ["manager", "ig_lead", "partner_system"])
def test_roles_that_may_not_add_people_are_refused(api, member, practice, role):
    response = upload(api, member(role), csv_of(1))
    assert response.status_code == 403
    assert not Patient.objects.exists()


def test_another_network_is_refused_and_its_practices_are_not_ours(
    api, member, network, other_network, practice
):
    nurse = member("community_nurse")
    response = upload(api, nurse, csv_of(1), network="purbeck")
    assert response.status_code == 400
    assert "not a member of a network 'purbeck'" in response.json()["errors"][0]["message"]
    theirs = OrganisationFactory(code="Y00001", kind=Organisation.Kind.GP_PRACTICE)
    other_network.gp_practices.add(theirs)
    response = upload(api, nurse, csv_of(1, practice="Y00001"), network="thornton-heath")
    assert response.json()["errors"][0]["field"] == "gp_practice"
    assert not Patient.objects.exists()


def test_several_networks_must_name_one(api, member, network, other_network, practice):
    nurse = member("community_nurse")
    member("community_nurse", net=other_network, username=nurse.username)
    response = upload(api, nurse, csv_of(1))
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "network"
    assert upload(api, nurse, csv_of(1), network="thornton-heath").status_code == 200


def test_the_same_nhs_number_in_another_network_is_another_person(
    api, member, foreign_patient, practice
):
    text = HEADER + f"{foreign_patient.nhs_number},Walter,Pike,1940-01-01,H81001,,\n"
    assert upload(api, member("gp"), text).json()["created"] == 1
    foreign_patient.refresh_from_db()
    assert foreign_patient.gp_practice is None


def test_queries_do_not_grow_with_rows(
    api, member, network, practice, django_assert_max_num_queries
):
    nurse = member("community_nurse")
    PatientFactory(network=network, nhs_number=synthetic(1000))
    client = api(nurse)
    for n, start in ((5, 0), (50, 100)):
        text = csv_of(n, start=start) + f"{synthetic(1000)},New,Name,1940-01-01,H81001,,\n"
        file = SimpleUploadedFile("people.csv", text.encode(), "text/csv")
        with django_assert_max_num_queries(25):
            response = client.post(URL, {"file": file}, format="multipart")
        assert response.status_code == 200, response.json()


def test_a_nul_character_in_a_field_name_keeps_the_errors_shape(api, member, network):
    file = SimpleUploadedFile("people.csv", csv_of(1).encode(), "text/csv")
    response = api(member("gp")).post(URL, {"file": file, "dry\x00run": "x"}, format="multipart")
    assert response.status_code == 400
    assert response.json() == {
        "errors": [{"line": None, "field": "dryrun", "message": "Null characters are not allowed."}]
    }
    assert not Patient.objects.exists()
