"""Care home staff (API.md 1.1, Roles added): they read and update the residents of their own
care home only, never clinical content; pages and API agree because both read through
patients.selectors and patients.rules."""

import pytest
from django.core.exceptions import ValidationError

from audit.models import AccessEvent
from networks.models import Membership
from networks.services import membership_add
from referrals.models import PatientFlag, RedFlag
from tests.conftest import care_home_of
from tests.factories import PatientFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/patients/"
CLINICAL = ("clinical_notes", "frailty", "caseload_reason")


@pytest.fixture
def staff(member):
    return member("care_home_staff")


@pytest.fixture
def home(network, staff):
    return Membership.objects.get(user=staff).care_home


@pytest.fixture
def resident(network, home):
    return PatientFactory(network=network, care_home=home, given_name="Ada", family_name="Lodge")


@pytest.fixture
def elsewhere(network):
    """A resident of another care home of the same network."""
    return PatientFactory(
        network=network, care_home=care_home_of(network, "CH-OTHER"), family_name="Elsewhere"
    )


def test_lists_only_their_homes_residents(api, client, staff, resident, elsewhere, patient):
    rows = api(staff).get(URL).json()["results"]
    assert [row["id"] for row in rows] == [resident.pk]
    assert not any(field in rows[0] for field in CLINICAL)
    client.force_login(staff)
    page = client.get("/patients/").content.decode()
    assert "Lodge" in page
    assert "Elsewhere" not in page and patient.family_name not in page


def test_reads_a_resident_without_clinical_content(api, client, staff, resident):
    body = api(staff).get(f"{URL}{resident.pk}/").json()
    assert body["phone"] and body["social_needs"] and body["what_matters"]
    assert not any(field in body for field in CLINICAL)
    assert body["efi"] is None and body["cfs"] is None  # null for roles that may not see them
    client.force_login(staff)
    response = client.get(f"/patients/{resident.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert resident.social_needs in page
    assert resident.clinical_notes not in page and "Clinical notes" not in page
    assert AccessEvent.objects.filter(patient=resident, role="care_home_staff").count() == 2


@pytest.mark.parametrize(
    "path",
    [
        "/patients/{p}/",
        "/patients/{p}/edit/",
        "/patients/{p}/timeline/",
        "/medicines/patients/{p}/visit/",
    ],
)
def test_other_residents_and_people_are_refused(client, staff, elsewhere, patient, path):
    client.force_login(staff)
    for person in (elsewhere, patient):
        assert client.get(path.format(p=person.pk)).status_code == 403


def test_api_refuses_others_and_the_other_network(api, staff, elsewhere, patient, foreign_patient):
    client = api(staff)
    assert client.get(f"{URL}{elsewhere.pk}/").status_code == 403
    assert client.get(f"{URL}{patient.pk}/").status_code == 403
    assert client.get(f"{URL}{foreign_patient.pk}/").status_code == 404
    assert client.patch(f"{URL}{elsewhere.pk}/", {"phone": "1"}, format="json").status_code == 403
    denied = AccessEvent.objects.filter(outcome="denied", role="care_home_staff")
    assert set(denied.values_list("patient_id", flat=True)) == {elsewhere.pk, patient.pk}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/api/v1/patients/{p}/medications/", None),  # no such route: a sanity check below
        ("/api/v1/tasks/", 200),  # their own (none): the list is everyone's
        ("/api/v1/huddles/", 403),
        ("/api/v1/referrals/", 200),
        ("/api/v1/patients/{p}/care-plan/", 200),  # its social parts, as the PIC
        ("/api/v1/patients/{p}/access-log/", 403),
    ],
)
def test_nothing_clinical_or_network_wide_opens(api, staff, resident, path, expected):
    response = api(staff).get(path.format(p=resident.pk))
    if expected is None:
        assert response.status_code == 404
        return
    assert response.status_code == expected, response.content[:200]
    if expected == 200 and "results" in response.json():
        assert response.json()["results"] == []


def test_updates_contact_and_social_but_not_clinical(api, staff, resident):
    client = api(staff)
    url = f"{URL}{resident.pk}/"
    response = client.patch(
        url, {"phone": "020 7946 0123", "what_matters": "The garden"}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert (
        client.patch(url, {"clinical_notes": "x", "phone": "1"}, format="json").status_code == 403
    )
    assert client.patch(url, {"consent_mdt": "given"}, format="json").status_code == 403
    resident.refresh_from_db()
    assert (resident.phone, resident.what_matters) == ("020 7946 0123", "The garden")
    assert resident.consent_mdt != "given"


def test_page_edit_and_red_flag(client, staff, resident):
    client.force_login(staff)
    assert client.get(f"/patients/{resident.pk}/edit/").status_code == 200
    flag = RedFlag.objects.filter(active=True).first()
    response = client.post(f"/referrals/patients/{resident.pk}/flags/", {"flag": flag.code})
    assert response.status_code == 302
    assert PatientFlag.objects.filter(patient=resident, flag=flag).exists()


def test_may_not_add_people(api, client, staff):
    from tests.test_access_matrix import _patient_body

    assert api(staff).post(URL, _patient_body(1), format="json").status_code == 403
    client.force_login(staff)
    assert client.get("/patients/new/").status_code == 403


def test_list_queries_do_not_grow_with_residents(
    api, client, staff, home, network, django_assert_max_num_queries
):
    client.force_login(staff)
    rest = api(staff)
    PatientFactory.create_batch(2, network=network, care_home=home)
    with django_assert_max_num_queries(8):
        assert len(rest.get(URL).json()["results"]) == 2
    with django_assert_max_num_queries(25) as few:
        assert client.get("/patients/").status_code == 200
    PatientFactory.create_batch(20, network=network, care_home=home)
    with django_assert_max_num_queries(8):
        assert len(rest.get(URL).json()["results"]) == 22
    with django_assert_max_num_queries(len(few)):
        assert client.get("/patients/").status_code == 200


def test_membership_names_one_of_the_networks_care_homes(network, other_network):
    user = UserFactory(username="carer")
    with pytest.raises(ValidationError) as missing:
        membership_add(user=user, network=network, role="care_home_staff", by=None)
    assert missing.value.messages == ["Care home staff name their care home; no other role does."]
    foreign = care_home_of(other_network)
    with pytest.raises(ValidationError) as wrong:
        membership_add(
            user=user, network=network, role="care_home_staff", care_home=foreign, by=None
        )
    assert wrong.value.message_dict["care_home"] == ["Choose one of the network's care homes."]
    with pytest.raises(ValidationError):
        membership_add(
            user=user, network=network, role="gp", care_home=care_home_of(network), by=None
        )
    assert not Membership.objects.filter(user=user).exists()
    made = membership_add(
        user=user, network=network, role="care_home_staff", care_home=care_home_of(network), by=None
    )
    assert made.care_home.kind == "care_home"


def test_refers_their_residents_only_and_reads_what_they_referred(
    api, client, staff, resident, elsewhere
):
    client_api = api(staff)
    body = {"service": "community_nursing", "reason": "Pressure area is red"}
    response = client_api.post(
        "/api/v1/referrals/", {**body, "patient": resident.pk}, format="json"
    )
    assert response.status_code == 201, response.json()
    refused = client_api.post(
        "/api/v1/referrals/", {**body, "patient": elsewhere.pk}, format="json"
    )
    assert refused.status_code == 403
    assert [r["patient"] for r in client_api.get("/api/v1/referrals/").json()["results"]] == [
        resident.pk
    ]
    client.force_login(staff)
    assert client.get(f"/referrals/patients/{resident.pk}/refer/").status_code == 200
    assert client.get(f"/referrals/patients/{elsewhere.pk}/refer/").status_code == 403
    assert client.get("/referrals/criteria/?service=community_nursing").status_code == 200
