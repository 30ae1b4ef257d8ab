"""Restricted clinical notes: the person's one text of clinical notes, restricted by a member
who then answers for it (with the key worker and the chair); others see that it exists on the
page, get null in the API (read and list), cannot overwrite it, and may break the glass."""

import pytest
from django.core.exceptions import PermissionDenied

from audit.models import BreakGlass
from core.errors import NotAllowed
from networks.models import Membership
from patients.models import Patient
from patients.services import patient_clinical_notes_restrict, patient_update
from tests.factories import PatientFactory

# About restricted entries, on top of whatever clinical access a member has: every clinical
# member is involved here (conftest.everyone_involved; involvement: tests/patients).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("everyone_involved")]
NOTES = "Lives with a partner who controls her medicines."


@pytest.fixture
def author(member):
    return member("gp")


@pytest.fixture
def sealed(patient, author):
    Patient.objects.filter(pk=patient.pk).update(clinical_notes=NOTES)
    patient.refresh_from_db()
    return patient_clinical_notes_restrict(
        patient=patient, by=author, restricted=True, reason="Domestic abuse"
    )


def _reader(member, patient, who, author):
    if who == "author":
        return author
    if who == "key_worker":
        user = member("community_nurse")
        Patient.objects.filter(pk=patient.pk).update(
            key_worker=Membership.objects.get(user=user, network=patient.network)
        )
        return user
    return member(who)


@pytest.mark.parametrize(
    ("who", "reads"),
    [("author", True), ("key_worker", True), ("chair", True), ("pharmacist", False)],
)
def test_restricted_notes_by_role_on_the_page_and_the_api(
    client, api, member, author, patient, sealed, who, reads
):
    user = _reader(member, patient, who, author)
    client.force_login(user)
    page = client.get(f"/patients/{patient.pk}/").content.decode()
    assert (NOTES in page) is reads
    assert ("/clinical-notes/break-glass/" in page) is not reads
    assert "Domestic abuse" not in page or reads
    data = api(user).get(f"/api/v1/patients/{patient.pk}/").json()
    listed = next(p for p in api(user).get("/api/v1/patients/").json()["results"])
    for shown in (data, listed):
        assert shown["clinical_notes_restricted"] is True
        assert (shown["clinical_notes"] == NOTES) is reads
        assert (shown["clinical_notes"] is None) is not reads


def test_the_pic_sees_neither_the_notes_nor_that_they_are_restricted(api, member, sealed):
    data = api(member("pic")).get(f"/api/v1/patients/{sealed.pk}/").json()
    assert "clinical_notes" not in data and "clinical_notes_restricted" not in data


def test_a_reader_who_may_not_open_them_cannot_overwrite_them(client, member, patient, sealed):
    pharmacist = member("pharmacist")
    with pytest.raises(NotAllowed):
        patient_update(
            patient=patient, by=pharmacist, clinical_allowed=True, clinical_notes="Overwritten"
        )
    client.force_login(pharmacist)
    form = client.get(f"/patients/{patient.pk}/edit/").content.decode()
    assert NOTES not in form and 'name="clinical_notes"' not in form
    patient.refresh_from_db()
    assert patient.clinical_notes == NOTES


def test_breaking_the_glass_opens_the_notes(
    client, member, author, patient, sealed, django_capture_on_commit_callbacks
):
    client.force_login(member("pharmacist"))
    url = f"/patients/{patient.pk}/clinical-notes/break-glass/"
    assert client.post(url, {"reason_code": "consent"}).status_code == 422
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"reason_code": "consent", "reason": "She asked me to"})
    assert response.status_code == 302 and response.url.endswith("#clinical")
    grant = BreakGlass.objects.get()
    assert (grant.entry_kind, grant.entry_author) == ("clinical_notes", author)
    assert NOTES in client.get(f"/patients/{patient.pk}/").content.decode()


def test_only_who_restricted_or_the_chair_lifts_it(client, member, author, patient, sealed):
    with pytest.raises(PermissionDenied):
        patient_clinical_notes_restrict(patient=patient, by=member("pharmacist"), restricted=False)
    client.force_login(member("pharmacist"))
    url = f"/patients/{patient.pk}/clinical-notes/restrict/"
    assert client.post(url, {}).status_code == 403
    client.force_login(member("chair"))
    assert client.post(url, {"restricted": "on"}).status_code == 422
    assert client.post(url, {}).status_code == 302
    patient.refresh_from_db()
    assert not patient.clinical_notes_restricted


def test_the_people_list_api_costs_the_same_with_more_restricted_notes(
    api, member, author, patient, sealed, django_assert_max_num_queries
):
    client = api(member("pharmacist"))
    client.get("/api/v1/patients/")
    with django_assert_max_num_queries(20) as few:
        client.get("/api/v1/patients/")
    for _ in range(4):
        other = PatientFactory(network=patient.network, clinical_notes="Private")
        patient_clinical_notes_restrict(patient=other, by=author, restricted=True, reason="Wish")
        PatientFactory(network=patient.network, clinical_notes="Open")
    with django_assert_max_num_queries(len(few.captured_queries)):
        results = client.get("/api/v1/patients/").json()["results"]
    assert sum(p["clinical_notes"] is None for p in results) == 5
