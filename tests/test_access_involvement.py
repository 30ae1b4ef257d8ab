# ruff: noqa: F811  (the matrix's fixtures, imported, are named as the tests' arguments)
"""The access matrix's world (tests/access_world.py) seen by a clinical member who is NOT
involved in Edith's care (issue #17 item 1): her identity, contact and who is involved are
open to them; her clinical detail is not, on pages and in the API, until they break the
glass. tests/test_access_matrix.py makes each clinical member involved (her key worker)."""

import pytest

from patients.involvement import involved_patient_ids
from patients.models import Patient

from .test_access_matrix import (  # noqa: F401  (the matrix's world, built once here too)
    _built,
    foreign_patient,
    network,
    other_network,
    patient,
    world,
)

pytestmark = pytest.mark.django_db

SECRET = "Anticoagulated, INR unstable"
# Clinical roles with no tie to Edith in the world (the pharmacist serves her medicines
# referral, the GP's queue has a task about her, the social worker her accepted referral).
NOT_INVOLVED = ["community_matron", "hospital_consultant", "occupational_therapist"]

# Pages and API reads of clinical detail that refuse the member (403, with how to proceed).
REFUSED = [
    ("api", "/api/v1/visits/{v}/"),
    ("api", "/api/v1/medications/{m}/"),
    ("page", "/medicines/patients/{p}/visit/"),
    ("page", "/medicines/patients/{p}/medicines/new/"),
    ("page", "/medicines/patients/{p}/dispensing/"),
    ("page", "/medicines/patients/{p}/gp-list/"),
    ("page", "/medicines/patients/{p}/gp-list/{gi}/"),
    ("page", "/patients/{p}/frailty/"),
    ("page", "/care-plans/patients/{p}/edit/"),
]
# Lists that leave the person's entries out.
LISTS = ["/api/v1/visits/", "/api/v1/medications/"]


@pytest.fixture
def outsider(member, patient):
    def make(role):
        Patient.objects.filter(pk=patient.pk).update(clinical_notes=SECRET)
        user = member(role)
        assert not involved_patient_ids(user, [patient.pk])  # the world gives them no tie
        return user

    return make


@pytest.mark.parametrize("role", NOT_INVOLVED)
def test_the_person_page_shows_identity_and_who_is_involved_not_the_detail(
    client, outsider, patient, role
):
    client.force_login(outsider(role))
    response = client.get(f"/patients/{patient.pk}/")
    page = response.content.decode()
    assert response.status_code == 200
    assert patient.family_name in page
    assert "You are not involved in" in page
    assert "nurse.on.team" in page or "Community nurse" in page  # the care team, to ask
    assert SECRET not in page
    assert 'id="medicines"' not in page


@pytest.mark.parametrize("role", NOT_INVOLVED)
def test_the_api_read_shows_identity_not_the_detail(api, outsider, patient, role):
    body = api(outsider(role)).get(f"/api/v1/patients/{patient.pk}/").json()
    assert body["family_name"] == patient.family_name
    assert body["clinical_access"] == "not_involved"
    assert "clinical_notes" not in body


@pytest.mark.parametrize("role", NOT_INVOLVED)
@pytest.mark.parametrize(("kind", "url"), REFUSED)
def test_clinical_reads_are_403_until_the_glass_is_broken(
    api, client, outsider, world, role, kind, url
):
    user = outsider(role)
    if kind == "api":
        response = api(user).get(url.format(**world))
        assert response.status_code == 403
        assert "break the glass" in response.json()["detail"]
    else:
        client.force_login(user)
        assert client.get(url.format(**world)).status_code == 403


@pytest.mark.parametrize("role", NOT_INVOLVED)
def test_a_gp_list_about_someone_not_in_their_care_is_refused(api, outsider, world, role):
    from medicines.models import MedicationImport

    before = MedicationImport.objects.count()
    response = api(outsider(role)).post(
        f"/api/v1/patients/{world['p']}/medications/import/", world["gp_list_body"], format="json"
    )
    assert response.status_code == 403
    assert "break the glass" in response.json()["detail"]
    assert MedicationImport.objects.count() == before


@pytest.mark.parametrize("role", NOT_INVOLVED)
@pytest.mark.parametrize("url", LISTS)
def test_lists_leave_the_person_out_until_the_glass_is_broken(api, outsider, patient, role, url):
    client = api(outsider(role))
    assert not [r for r in client.get(url).json()["results"] if r["patient"] == patient.pk]
    client.post(
        f"/api/v1/patients/{patient.pk}/break-glass/",
        {"reason_code": "vital_interests", "reason": "Collapsed at the day centre"},
        format="json",
    )
    assert [r for r in client.get(url).json()["results"] if r["patient"] == patient.pk]


def test_after_breaking_the_glass_the_reads_open(api, outsider, world):
    client = api(outsider("occupational_therapist"))
    response = client.post(
        f"/api/v1/patients/{world['p']}/break-glass/",
        {"reason_code": "consent", "reason": "She asked me to read her notes"},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["clinical_notes"] == SECRET
    assert client.get(f"/api/v1/visits/{world['v']}/").status_code == 200
    assert client.get(f"/api/v1/medications/{world['m']}/").status_code == 200


@pytest.mark.parametrize("role", NOT_INVOLVED)
def test_the_timeline_offers_no_clinical_kinds_and_has_no_visit(member, outsider, patient, role):
    from patients.timeline import CLINICAL_KINDS, collect, kinds_for

    user = outsider(role)
    assert not set(kinds_for(user, patient)) & set(CLINICAL_KINDS)
    assert not [e for e in collect(user, patient) if e.kind in CLINICAL_KINDS]
    assert [e for e in collect(member("chair"), patient) if e.kind == "visit"]  # there is one
