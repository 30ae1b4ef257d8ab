"""Frailty recording (issue #14.6): eFI and CFS scores through the API and the person's page,
the frailty level they set on the record, the latest scores on the patient read, and the
frailty, key worker and "on caseload since" columns of the people list."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from audit.models import AccessEvent
from huddles.models import Episode
from networks.models import Membership
from patients.frailty import CFS_RANGE, EFI_RANGE, SCALE_UNKNOWN, classify
from patients.models import FrailtyAssessment
from patients.services import frailty_record
from tests.factories import PatientFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("everyone_involved")]


def today() -> datetime.date:
    return timezone.localdate()


def url(patient) -> str:
    return f"/api/v1/patients/{patient.pk}/frailty/"


def body(**overrides) -> dict:
    return {"scale": "efi", "score": "0.19", "assessed_on": today().isoformat(), **overrides}


# --- bands -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scale", "score", "level", "label"),
    [
        ("efi", Decimal("0"), "fit", "Fit"),
        ("efi", Decimal("0.12"), "fit", "Fit"),
        ("efi", Decimal("0.13"), "mild", "Mild frailty"),
        ("efi", Decimal("0.24"), "mild", "Mild frailty"),
        ("efi", Decimal("0.36"), "moderate", "Moderate frailty"),
        ("efi", Decimal("0.37"), "severe", "Severe frailty"),
        ("efi", Decimal("1"), "severe", "Severe frailty"),
        ("cfs", 1, "fit", "Very fit"),
        ("cfs", 3, "fit", "Managing well"),
        ("cfs", 4, "mild", "Very mild frailty"),
        ("cfs", 5, "mild", "Mild frailty"),
        ("cfs", 6, "moderate", "Moderate frailty"),
        ("cfs", 7, "severe", "Severe frailty"),
        ("cfs", 8, "severe", "Very severe frailty"),
        ("cfs", Decimal("9"), "severe", "Terminally ill"),
    ],
)
def test_bands(scale, score, level, label):
    assert classify(scale, score) == (level, label)


@pytest.mark.parametrize(
    ("scale", "score", "message"),
    [
        ("efi", Decimal("-0.01"), EFI_RANGE),
        ("efi", Decimal("1.01"), EFI_RANGE),
        ("efi", Decimal("0.123"), EFI_RANGE),
        ("cfs", 0, CFS_RANGE),
        ("cfs", 10, CFS_RANGE),
        ("cfs", Decimal("4.5"), CFS_RANGE),
        ("rockwood", 3, SCALE_UNKNOWN),
    ],
)
def test_scores_out_of_their_scale_are_refused(scale, score, message):
    with pytest.raises(ValueError, match=message[:20]):
        classify(scale, score)


# --- service ---------------------------------------------------------------------------------


def test_the_latest_assessment_sets_the_level_and_an_older_one_does_not(patient, member):
    gp = member("gp")
    frailty_record(patient=patient, by=gp, scale="cfs", score=6, assessed_on=today())
    patient.refresh_from_db()
    assert patient.frailty == "moderate"
    older = frailty_record(
        patient=patient,
        by=gp,
        scale="efi",
        score=Decimal("0.10"),
        assessed_on=today() - datetime.timedelta(days=30),
    )
    patient.refresh_from_db()
    assert patient.frailty == "moderate"
    assert (older.scale, older.efi_score, older.cfs_score, older.frailty) == (
        "efi",
        Decimal("0.10"),
        None,
        "fit",
    )
    frailty_record(patient=patient, by=gp, scale="efi", score=Decimal("0.40"), assessed_on=today())
    patient.refresh_from_db()
    assert patient.frailty == "severe"
    assert patient.frailty_history.count() == 3


# --- API -------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["gp", "community_nurse", "pharmacist", "chair"])
def test_clinical_roles_record_frailty(api, member, patient, role):
    user = member(role)
    response = api(user).post(url(patient), body(scale="cfs", score=5), format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert {k: data[k] for k in ("scale", "score", "band", "frailty", "recorded_by")} == {
        "scale": "cfs",
        "score": 5,
        "band": "Mild frailty",
        "frailty": "mild",
        "recorded_by": user.username,
    }
    patient.refresh_from_db()
    assert patient.frailty == "mild"
    assert AccessEvent.objects.filter(user=user, what="frailty", outcome="allowed").count() == 1
    efi = api(user).post(url(patient), body(score="0.3"), format="json").json()
    assert (efi["score"], efi["band"], efi["frailty"]) == ("0.30", "Moderate frailty", "moderate")


@pytest.mark.parametrize("role", ["pic", "manager"])
def test_pic_and_manager_may_not(api, member, patient, role):
    response = api(member(role)).post(url(patient), body(), format="json")
    assert response.status_code == 403
    assert not FrailtyAssessment.objects.exists()


def test_another_networks_person_is_not_found(api, member, foreign_patient):
    response = api(member("gp")).post(url(foreign_patient), body(), format="json")
    assert response.status_code == 404
    assert not FrailtyAssessment.objects.exists()
    assert AccessEvent.objects.filter(what="frailty", outcome="not_found").count() == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"scale": "rockwood"}, "scale"),
        ({"scale": ""}, "scale"),
        ({"score": "1.5"}, "score"),
        ({"score": "-0.1"}, "score"),
        ({"score": "0.125"}, "score"),
        ({"scale": "cfs", "score": 10}, "score"),
        ({"scale": "cfs", "score": 0}, "score"),
        ({"scale": "cfs", "score": "4.5"}, "score"),
        ({"score": "lots"}, "score"),
        ({"score": None}, "score"),
        ({"assessed_on": "tomorrow"}, "assessed_on"),
        ({"assessed_on": "1899-12-31"}, "assessed_on"),
    ],
)
def test_bad_input_is_400_and_nothing_saved(api, member, patient, change, field):
    response = api(member("gp")).post(url(patient), body(**change), format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not FrailtyAssessment.objects.exists()


def test_a_future_date_is_refused(api, member, patient):
    future = (today() + datetime.timedelta(days=1)).isoformat()
    response = api(member("gp")).post(url(patient), body(assessed_on=future), format="json")
    assert response.status_code == 400
    assert response.json() == {"assessed_on": ["An assessment cannot be dated in the future."]}
    assert not FrailtyAssessment.objects.exists()


def test_the_patient_read_shows_the_latest_efi_and_cfs_to_clinical_roles_only(api, member, patient):
    gp = member("gp")
    last_month = today() - datetime.timedelta(days=30)
    frailty_record(
        patient=patient, by=gp, scale="efi", score=Decimal("0.2"), assessed_on=last_month
    )
    frailty_record(patient=patient, by=gp, scale="efi", score=Decimal("0.3"), assessed_on=today())
    read = api(gp).get(f"/api/v1/patients/{patient.pk}/").json()
    assert read["efi"] == {
        "score": "0.30",
        "assessed_on": today().isoformat(),
        "band": "Moderate frailty",
    }
    assert read["cfs"] is None
    assert read["frailty"] == "moderate"
    pic_read = api(member("pic")).get(f"/api/v1/patients/{patient.pk}/").json()
    assert pic_read["efi"] is None and pic_read["cfs"] is None  # the schema's keys, no scores
    assert "frailty" not in pic_read


def test_the_patient_read_query_count_does_not_grow_with_assessments(
    api, member, patient, django_assert_max_num_queries
):
    gp = member("gp")
    client = api(gp)
    client.get(f"/api/v1/patients/{patient.pk}/")
    with django_assert_max_num_queries(14) as first:
        client.get(f"/api/v1/patients/{patient.pk}/")
    for days in range(6):
        for scale, score in (("efi", Decimal("0.2")), ("cfs", 4)):
            frailty_record(
                patient=patient,
                by=gp,
                scale=scale,
                score=score,
                assessed_on=today() - datetime.timedelta(days=days),
            )
    with django_assert_max_num_queries(len(first.captured_queries)):
        assert client.get(f"/api/v1/patients/{patient.pk}/").status_code == 200


# --- the person's page -----------------------------------------------------------------------


def page_url(patient) -> str:
    return f"/patients/{patient.pk}/frailty/"


def test_the_page_records_frailty_and_shows_the_history(client, member, patient):
    client.force_login(member("community_nurse"))
    page = client.get(f"/patients/{patient.pk}/").content.decode()
    assert f'href="{page_url(patient)}"' in page and "Record frailty" in page
    form = client.get(page_url(patient))
    assert form.status_code == 200 and 'name="score"' in form.content.decode()
    response = client.post(
        page_url(patient),
        {"scale": "cfs", "score": "7", "assessed_on": today().isoformat()},
    )
    assert response.status_code == 302
    assert response["Location"].endswith(f"/patients/{patient.pk}/#frailty")
    page = client.get(f"/patients/{patient.pk}/").content.decode()
    assert "Frailty recorded: CFS 7, severe frailty." in page
    history = page[page.index('id="frailty"') :]
    assert history.index("Frailty recorded: CFS 7") < history.index("Severe frailty")
    assert "CFS</td>" in history


def test_the_page_shows_errors_next_to_the_fields_and_saves_nothing(client, member, patient):
    client.force_login(member("gp"))
    response = client.post(
        page_url(patient), {"scale": "efi", "score": "2", "assessed_on": today().isoformat()}
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "There is a problem" in page and EFI_RANGE in page
    response = client.post(page_url(patient), {"scale": "", "score": "", "assessed_on": ""})
    assert response.status_code == 422
    page = response.content.decode()
    assert SCALE_UNKNOWN in page and "Enter the score." in page
    assert not FrailtyAssessment.objects.exists()


@pytest.mark.parametrize("role", ["pic", "manager"])
def test_the_pic_and_manager_get_no_form_and_are_refused(client, member, patient, role):
    client.force_login(member(role))
    if role == "pic":
        page = client.get(f"/patients/{patient.pk}/").content.decode()
        assert "Record frailty" not in page and "Frailty assessments" not in page
    assert client.get(page_url(patient)).status_code == 403
    data = {"scale": "cfs", "score": "5", "assessed_on": today().isoformat()}
    assert client.post(page_url(patient), data).status_code == 403
    assert not FrailtyAssessment.objects.exists()


def test_the_page_refuses_another_networks_person(client, member, foreign_patient):
    client.force_login(member("gp"))
    data = {"scale": "cfs", "score": "5", "assessed_on": today().isoformat()}
    assert client.post(page_url(foreign_patient), data).status_code == 404


# --- the people list -------------------------------------------------------------------------


def _person(network, gp, n: int):
    key_worker = Membership.objects.get(user=gp, network=network)
    person = PatientFactory(network=network, key_worker=key_worker)
    frailty_record(patient=person, by=gp, scale="cfs", score=1 + n % 9, assessed_on=today())
    Episode.objects.create(
        patient=person, network=network, opened_at=timezone.now() - datetime.timedelta(days=n)
    )
    return person


def test_the_list_shows_frailty_key_worker_and_caseload_since(client, member, network):
    gp = member("gp")
    gp.first_name, gp.last_name = "Amara", "Ode"
    gp.save()
    _person(network, gp, 5)
    client.force_login(gp)
    page = client.get("/patients/").content.decode()
    assert ">Frailty<" in page and "Key worker</th>" in page
    assert ">On caseload since<" in page
    assert "Managing well" not in page
    assert "Moderate frailty" in page and "(CFS 6," in page
    assert "Amara Ode" in page
    opened = timezone.localdate() - datetime.timedelta(days=5)
    assert f"{opened.day} {opened:%b %Y}" in page
    client.force_login(member("pic"))
    page = client.get("/patients/").content.decode()
    assert ">Frailty<" not in page and "Moderate frailty" not in page
    assert "Amara Ode" in page and ">On caseload since<" in page


def test_the_list_query_count_does_not_grow_with_rows(
    client, member, network, django_assert_max_num_queries
):
    gp = member("gp")
    _person(network, gp, 1)
    client.force_login(gp)
    client.get("/patients/")
    with django_assert_max_num_queries(12) as first:
        client.get("/patients/")
    for n in range(2, 20):
        _person(network, gp, n)
    with django_assert_max_num_queries(len(first.captured_queries)):
        assert client.get("/patients/").status_code == 200
