import datetime

import pytest
from django.utils import timezone

from audit.models import AccessEvent
from patients.models import FrailtyAssessment, Patient
from tests.factories import OrganisationFactory, PatientFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("everyone_involved")]

URL = "/api/v1/patients/"


def valid_payload(**overrides):
    data = {
        "nhs_number": "999 000 0018",
        "given_name": "Margaret",
        "family_name": "Hughes",
        "date_of_birth": "1938-04-02",
        "network": "thornton-heath",
        "frailty": "moderate",
        "notes_for_visitors": "Registered blind",
    }
    data.update(overrides)
    return data


@pytest.fixture
def pharmacist(member):
    return member("pharmacist")


def test_create_stores_ten_digits_and_shows_3_3_4(api, pharmacist, network):
    response = api(pharmacist).post(URL, valid_payload(), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["nhs_number"] == "9990000018"
    assert body["nhs_number_display"] == "999 000 0018"
    assert body["network"] == "thornton-heath"
    patient = Patient.objects.get()
    assert patient.created_by == pharmacist
    assert FrailtyAssessment.objects.filter(patient=patient, frailty="moderate").exists()


def test_duplicate_nhs_number_in_a_network_is_409_and_nothing_saved(api, pharmacist, patient):
    response = api(pharmacist).post(
        URL, valid_payload(nhs_number=patient.nhs_number), format="json"
    )
    assert response.status_code == 409
    assert "nhs_number" in response.json()
    assert Patient.objects.count() == 1


def test_same_nhs_number_may_exist_in_another_network(api, member, foreign_patient, network):
    user = member("pharmacist")
    response = api(user).post(
        URL, valid_payload(nhs_number=foreign_patient.nhs_number), format="json"
    )
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [
        ("nhs_number", "9990000019", "check digit"),
        ("nhs_number", "12345", "10 digits"),
        ("nhs_number", 9990000018, "give text"),  # API.md 1.1: text is a JSON string
        ("nhs_number", ["9990000018"], "give text"),
        ("date_of_birth", "2999-01-01", "future"),
        ("date_of_birth", "02/04/1938", "format"),
        ("date_of_birth", 19380402, "format"),
        ("given_name", "", "blank"),
        ("given_name", "x" * 101, "100 characters"),
        ("given_name", "Mar\x00garet", "Null characters"),
        ("family_name", None, "null"),
        ("frailty", "very", "valid choice"),
        ("network", "purbeck", "not a member"),
        ("network", "no-such-network", "not a member"),
        ("gp_practice", "NOPE", "no gp practice with that code"),
        ("notes_for_visitors", "x" * 501, "500 characters"),
        ("consent_mdt", "maybe", "valid choice"),
    ],
)
def test_bad_input_is_400_with_field_errors_and_nothing_saved(
    api, pharmacist, other_network, field, value, fragment
):
    response = api(pharmacist).post(URL, valid_payload(**{field: value}), format="json")
    if fragment is None:
        assert response.status_code == 201
        return
    assert response.status_code == 400, response.json()
    errors = response.json()
    assert field in errors, errors
    assert fragment.lower() in " ".join(errors[field]).lower()
    assert Patient.objects.count() == 0


def test_body_that_is_not_an_object_is_400(api, pharmacist):
    response = api(pharmacist).post(URL, ["not", "an", "object"], format="json")
    assert response.status_code == 400
    assert Patient.objects.count() == 0


def test_pic_cannot_create_with_clinical_fields_but_can_without(api, member):
    pic = member("pic")
    response = api(pic).post(URL, valid_payload(), format="json")
    assert response.status_code == 403
    assert Patient.objects.count() == 0
    payload = valid_payload()
    payload.pop("frailty")
    assert api(pic).post(URL, payload, format="json").status_code == 201


def test_manager_may_not_create_or_list(api, member):
    manager = member("manager")
    assert api(manager).post(URL, valid_payload(), format="json").status_code == 403
    assert api(manager).get(URL).status_code == 403
    assert Patient.objects.count() == 0


def test_unauthenticated_is_401(api):
    assert api().get(URL).status_code == 401
    assert api().post(URL, valid_payload(), format="json").status_code == 401


def test_list_shows_only_my_networks_and_audits_each_row(api, pharmacist, patient, foreign_patient):
    response = api(pharmacist).get(URL)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert [p["id"] for p in body["results"]] == [patient.pk]
    events = AccessEvent.objects.filter(what="list")
    assert [(e.patient_id, e.username, e.role, e.outcome) for e in events] == [
        (patient.pk, pharmacist.username, "pharmacist", "allowed")
    ]


def test_search_by_name_and_nhs_number_with_spaces(api, pharmacist, network):
    edith = PatientFactory(network=network, given_name="Edith", family_name="Okafor")
    PatientFactory(network=network, given_name="Arthur", family_name="Bell")
    client = api(pharmacist)
    assert [p["id"] for p in client.get(URL, {"q": "oka"}).json()["results"]] == [edith.pk]
    assert [p["id"] for p in client.get(URL, {"q": "edith ok"}).json()["results"]] == [edith.pk]
    spaced = edith.nhs_number_display  # "999 001 2345"
    assert [p["id"] for p in client.get(URL, {"q": spaced}).json()["results"]] == [edith.pk]
    assert AccessEvent.objects.filter(what="search", patient=edith).count() == 3


def test_network_filter(api, member, network, other_network, patient):
    user = member("pharmacist")
    from networks.services import membership_add

    membership_add(user=user, network=other_network, role="gp", by=None)
    PatientFactory(network=other_network)
    client = api(user)
    assert client.get(URL).json()["count"] == 2
    assert client.get(URL, {"network": "purbeck"}).json()["count"] == 1


def test_pagination_and_page_size_cap(api, pharmacist, network):
    PatientFactory.create_batch(5, network=network)
    body = api(pharmacist).get(URL, {"page_size": 2}).json()
    assert body["count"] == 5 and len(body["results"]) == 2 and body["next"]
    body = api(pharmacist).get(URL, {"page_size": 5000}).json()
    assert len(body["results"]) == 5


def test_detail_of_another_networks_patient_is_404_and_audited(api, pharmacist, foreign_patient):
    response = api(pharmacist).get(f"{URL}{foreign_patient.pk}/")
    assert response.status_code == 404
    event = AccessEvent.objects.get()
    assert event.outcome == "not_found" and event.patient_id is None
    assert event.patient_ref == str(foreign_patient.pk)


def test_detail_for_a_role_that_may_not_is_403_and_audited(api, member, patient):
    response = api(member("manager")).get(f"{URL}{patient.pk}/")
    assert response.status_code == 403
    event = AccessEvent.objects.get()
    assert (event.outcome, event.patient_id, event.role) == ("denied", patient.pk, "manager")


def test_detail_audited_and_pic_sees_no_clinical_fields(api, member, patient):
    gp = api(member("gp")).get(f"{URL}{patient.pk}/").json()
    assert gp["clinical_notes"] and gp["frailty"] == "moderate"
    pic = api(member("pic")).get(f"{URL}{patient.pk}/").json()
    for field in ("clinical_notes", "frailty", "caseload_reason"):
        assert field not in pic
    assert pic["social_needs"] and pic["what_matters"] and pic["phone"]
    assert AccessEvent.objects.filter(what="detail", patient=patient).count() == 2


def test_patch_updates_and_records_frailty_history(api, pharmacist, patient):
    response = api(pharmacist).patch(
        f"{URL}{patient.pk}/", {"frailty": "severe", "phone": "01202 000000"}, format="json"
    )
    assert response.status_code == 200, response.json()
    patient.refresh_from_db()
    assert (patient.frailty, patient.phone) == ("severe", "01202 000000")
    assert list(patient.frailty_history.values_list("frailty", flat=True)) == ["severe"]


def test_patch_consent_records_who_and_when(api, pharmacist, patient):
    response = api(pharmacist).patch(
        f"{URL}{patient.pk}/", {"consent_mdt": "given", "consent_sharing": "given"}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert body["consent_recorded_by"] == pharmacist.username
    assert body["consent_recorded_at"]
    patient.refresh_from_db()
    assert patient.consent_recorded_at <= timezone.now()


def test_patch_bad_input_saves_nothing(api, pharmacist, patient):
    before = Patient.objects.values().get(pk=patient.pk)
    response = api(pharmacist).patch(
        f"{URL}{patient.pk}/",
        {
            "phone": "01202 111111",
            "date_of_birth": (datetime.date.today() + datetime.timedelta(days=1)).isoformat(),
        },
        format="json",
    )
    assert response.status_code == 400
    assert "date_of_birth" in response.json()
    assert Patient.objects.values().get(pk=patient.pk) == before


def test_patch_duplicate_nhs_number_is_409(api, pharmacist, patient, network):
    other = PatientFactory(network=network)
    response = api(pharmacist).patch(
        f"{URL}{other.pk}/", {"nhs_number": patient.nhs_number}, format="json"
    )
    assert response.status_code == 409


def test_patch_cannot_move_network(api, member, patient, other_network):
    from networks.services import membership_add

    user = member("pharmacist")
    membership_add(user=user, network=other_network, role="pharmacist", by=None)
    response = api(user).patch(f"{URL}{patient.pk}/", {"network": "purbeck"}, format="json")
    assert response.status_code == 400
    patient.refresh_from_db()
    assert patient.network.slug == "thornton-heath"


def test_pic_may_patch_social_but_not_clinical(api, member, patient):
    client = api(member("pic"))
    url = f"{URL}{patient.pk}/"
    assert (
        client.patch(url, {"what_matters": "Seeing my grandchildren"}, format="json").status_code
        == 200
    )
    response = client.patch(url, {"clinical_notes": "x", "what_matters": "y"}, format="json")
    assert response.status_code == 403
    patient.refresh_from_db()
    assert patient.what_matters == "Seeing my grandchildren"


def test_patch_outside_my_networks_is_404(api, pharmacist, foreign_patient):
    response = api(pharmacist).patch(f"{URL}{foreign_patient.pk}/", {"phone": "1"}, format="json")
    assert response.status_code == 404


def test_gp_practice_by_code(api, pharmacist, network):
    practice = OrganisationFactory(code="H81001", kind="gp_practice", name="Parkside Surgery")
    network.gp_practices.add(practice)
    response = api(pharmacist).post(URL, valid_payload(gp_practice="H81001"), format="json")
    assert response.status_code == 201
    assert Patient.objects.get().gp_practice == practice


def test_deactivated_member_loses_api_access_at_once(api, pharmacist, patient):
    from networks.models import Membership
    from networks.services import membership_deactivate

    client = api(pharmacist)
    assert client.get(f"{URL}{patient.pk}/").status_code == 200
    membership_deactivate(membership=Membership.objects.get(user=pharmacist), by=None)
    assert client.get(f"{URL}{patient.pk}/").status_code == 401  # token revoked


def test_access_log_for_chair_only(api, member, patient):
    api(member("gp")).get(f"{URL}{patient.pk}/")
    chair = api(member("chair")).get(f"{URL}{patient.pk}/access-log/")
    assert chair.status_code == 200
    assert [e["username"] for e in chair.json()["results"]] == ["gp.thornton-heath"]
    assert api(member("pharmacist")).get(f"{URL}{patient.pk}/access-log/").status_code == 403


def test_list_query_count_does_not_grow_with_rows(
    api, pharmacist, network, django_assert_max_num_queries
):
    client = api(pharmacist)
    PatientFactory.create_batch(3, network=network)
    with django_assert_max_num_queries(8):
        assert client.get(URL).status_code == 200
    PatientFactory.create_batch(40, network=network)
    with django_assert_max_num_queries(8):
        assert len(client.get(URL).json()["results"]) == 43


def test_record_without_consent_recorded_matches_the_published_schema(api, pharmacist, patient):
    """Found by the API fuzz test: `"consent_recorded_by": null` before consent is recorded;
    the schema said string."""
    from tests.openapi import assert_matches_schema

    response = api(pharmacist).get(f"{URL}{patient.pk}/")
    assert response.json()["consent_recorded_by"] is None
    assert_matches_schema(response, "get", "/api/v1/patients/{id}/")


def test_list_rows_are_the_serializers_and_pic_gets_no_clinical_fields(
    api, member, network, other_network
):
    """The list builds its rows without the serializer's per-field machinery: each must be
    what PatientSerializer gives (the detail, less its goals), field for field and in order,
    and the clinical fields must go exactly where the role may not see them (here: a user
    who is a GP in one network and the PIC in another)."""
    from networks.models import Membership, Organisation
    from tests.factories import MembershipFactory

    user = member("gp")
    MembershipFactory(user=user, network=other_network, role="pic")
    key_worker = Membership.objects.get(user=user, network=network)
    practice = OrganisationFactory(kind=Organisation.Kind.GP_PRACTICE)
    home = OrganisationFactory(kind=Organisation.Kind.CARE_HOME)
    PatientFactory(
        network=network,
        gp_practice=practice,
        care_home=home,
        key_worker=key_worker,
        care_needs=["new_resident", "swallowing"],
        consent_mdt="given",
        consent_recorded_by=user,
        consent_recorded_at=timezone.now() - datetime.timedelta(days=200),
    )
    PatientFactory(network=network, frailty=None, address="", phone="")
    PatientFactory(network=other_network)
    PatientFactory(network=other_network, key_worker=Membership.objects.get(network=other_network))
    client = api(user)
    response = client.get(URL)
    assert response.status_code == 200
    rows = response.json()["results"]
    assert len(rows) == 4
    clinical = ("frailty", "caseload_reason", "clinical_notes", "care_needs")
    for row in rows:
        detail = client.get(f"{URL}{row['id']}/").json()
        detail.pop("goals")  # the detail's own fields: goals, latest eFI and CFS, and why
        detail.pop("efi", None)
        detail.pop("cfs", None)
        detail.pop("clinical_access")
        assert list(row.items()) == list(detail.items())
        shown = [field in row for field in clinical]
        assert shown == [row["network"] == "thornton-heath"] * len(clinical)
    pic_only = api(member("pic")).get(URL).json()["results"]
    assert len(pic_only) == 2
    assert not any(field in row for row in pic_only for field in clinical)
    assert AccessEvent.objects.filter(what="list").count() == 6


@pytest.mark.parametrize("field", ["gp_practice", "care_home"])
def test_another_networks_organisation_codes_are_refused(
    api, member, network, other_network, patient, field
):
    """Found in the go-live attack pass: a person could be registered with another network's
    GP practice or care home; and whether a code existed anywhere could be told apart."""
    from networks.models import Organisation

    kind = Organisation.Kind.GP_PRACTICE if field == "gp_practice" else Organisation.Kind.CARE_HOME
    ours = OrganisationFactory(kind=kind, code="OURS1")
    theirs = OrganisationFactory(kind=kind, code="THEIRS1")
    getattr(network, f"{field}s" if field == "gp_practice" else "care_homes").add(ours)
    getattr(other_network, f"{field}s" if field == "gp_practice" else "care_homes").add(theirs)
    client = api(member("gp"))
    url = f"{URL}{patient.pk}/"
    answers = []
    for code in ("THEIRS1", "NOWHERE9"):
        response = client.patch(url, {field: code}, format="json")
        assert response.status_code == 400, response.json()
        answers.append(response.json()[field])
    assert answers[0] == answers[1]
    patient.refresh_from_db()
    assert getattr(patient, f"{field}_id") is None
    assert client.patch(url, {field: "OURS1"}, format="json").status_code == 200
    patient.refresh_from_db()
    assert getattr(patient, f"{field}_id") == ours.pk


@pytest.mark.parametrize("page", ["abc", "0", "99"])
def test_a_list_page_that_is_not_there_is_404_and_writes_no_access(api, pharmacist, network, page):
    """The list's rows come from RowsOfPage (its related columns as subqueries): a page
    number that is not a page is DRF's clear 404, and no one is written as seen."""
    PatientFactory.create_batch(3, network=network)
    before = AccessEvent.objects.count()
    response = api(pharmacist).get(URL, {"page": page})
    assert response.status_code == 404
    assert response.json() == {"detail": "Invalid page."}
    assert AccessEvent.objects.count() == before
    # The first page still answers, with the related columns filled in.
    people = api(pharmacist).get(URL, {"page": "1"}).json()["results"]
    assert len(people) == 3 and {p["network"] for p in people} == {"thornton-heath"}
