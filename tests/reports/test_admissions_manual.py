"""Admissions entered by hand, who may import or enter them (every role, and anonymous), and
the list of recent imports."""

import datetime

import pytest
from django.utils import timezone

from audit.models import AccessEvent
from core import nhs_number
from core.errors import NotAllowed
from networks.roles import Role
from reports.admissions import (
    admission_record,
    admissions_import,
)
from reports.models import AdmissionEvent, AdmissionImport
from tests.factories import PatientFactory

from .helpers import CHECK, PAGE, check, csv_bytes, message_texts, spaced, text, today, upload

pytestmark = pytest.mark.django_db


# --- by hand --------------------------------------------------------------------------------------


def test_manual_entry_records_one_admission(client, login, network, people):
    user = login("integrated_manager")
    a = people[0]

    response = client.post(
        PAGE, {"nhs_number": spaced(a.nhs_number), "admitted_on": "2026-02-03", "kind": "emergency"}
    )

    assert response.status_code == 302
    assert message_texts(response) == [
        f"Emergency admission on 3 Feb 2026 recorded for Edith Okafor ({spaced(a.nhs_number)})."
    ]
    event = AdmissionEvent.objects.get()
    assert (event.patient, event.admitted_on, event.kind) == (
        a,
        datetime.date(2026, 2, 3),
        "emergency",
    )
    assert event.source == "manual" and event.recorded_by == user and event.network == network
    assert AccessEvent.objects.filter(patient=a, what="admission_record").count() == 1


def test_manual_entry_accepts_dd_mm_yyyy(client, login, people):
    login("chair")
    response = client.post(
        PAGE, {"nhs_number": people[0].nhs_number, "admitted_on": "03/02/2026", "kind": "elective"}
    )
    assert response.status_code == 302
    assert AdmissionEvent.objects.get().admitted_on == datetime.date(2026, 2, 3)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"nhs_number": "", "admitted_on": "", "kind": ""}, "nhs_number", "Enter the person's"),
        ({"nhs_number": "943 476 5918"}, "nhs_number", "the check digit does not match"),
        ({"nhs_number": "12"}, "nhs_number", "An NHS number has 10 digits"),
        ({"nhs_number": "unknown"}, "nhs_number", "No one with NHS number"),
        ({"nhs_number": "foreign"}, "nhs_number", "No one with NHS number"),
        ({"admitted_on": "2026-02-30"}, "admitted_on", "Date admitted must be a real date"),
        ({"admitted_on": "future"}, "admitted_on", "is in the future"),
        ({"admitted_on": "1930-01-01"}, "admitted_on", "before the person's date of birth"),
        ({"kind": "daycase"}, "kind", "Select a valid choice"),
    ],
    ids=[
        "empty",
        "checksum",
        "short",
        "unknown",
        "other network",
        "bad date",
        "future",
        "before birth",
        "kind",
    ],
)
def test_manual_entry_errors_save_nothing(
    client, login, people, foreign_patient, data, field, message
):
    login("chair")
    post = {"nhs_number": people[0].nhs_number, "admitted_on": "2026-02-03", "kind": "emergency"}
    post.update(data)
    if post["nhs_number"] == "unknown":
        post["nhs_number"] = nhs_number.synthetic(777_002)
    if post["nhs_number"] == "foreign":
        post["nhs_number"] = foreign_patient.nhs_number
    if post["admitted_on"] == "future":
        post["admitted_on"] = (today() + datetime.timedelta(days=1)).isoformat()

    response = client.post(PAGE, post)

    assert response.status_code == 422
    errors = response.context["manual_form"].errors
    assert message in " ".join(errors[field])
    assert "There is a problem: nothing has been saved" in text(response)
    assert not AdmissionEvent.objects.exists()
    assert foreign_patient.full_name not in text(response)


def test_manual_duplicate_is_a_clear_conflict(client, login, people):
    login("chair")
    post = {"nhs_number": people[0].nhs_number, "admitted_on": "2026-02-03", "kind": "emergency"}
    client.post(PAGE, post)

    response = client.post(PAGE, post)

    assert response.status_code == 409
    assert "An emergency admission on 3 Feb 2026 is already recorded for Edith Okafor." in text(
        response
    )
    assert AdmissionEvent.objects.count() == 1
    # Both answers named the person.
    assert AccessEvent.objects.filter(patient=people[0], what="admission_record").count() == 2


def test_services_refuse_roles_that_do_not_record_admissions(network, people, member):
    gp, manager = member("gp"), member("manager")
    with pytest.raises(NotAllowed):
        admission_record(patient=people[0], admitted_on=today(), kind="emergency", by=gp)
    with pytest.raises(NotAllowed):
        check(network, manager, csv_bytes(f"{people[0].nhs_number},2026-01-10,emergency"))
    assert not AdmissionEvent.objects.exists() and not AdmissionImport.objects.exists()


# --- who may do it: every role, and anonymous ----------------------------------------------------

ALLOWED = {Role.CHAIR.value, Role.INTEGRATED_MANAGER.value}


@pytest.fixture
def imports(network, other_network, people, member):
    """A checked file in this network, and one in another network."""
    here = check(network, member("chair"), csv_bytes(f"{people[0].nhs_number},2026-01-10,elective"))
    there_person = PatientFactory(network=other_network)
    there = check(
        other_network,
        member("chair", net=other_network, username="chair.elsewhere"),
        csv_bytes(f"{there_person.nhs_number},2026-01-10,elective"),
    )
    return here, there


def _requests(here, there, people):
    manual = {"nhs_number": people[1].nhs_number, "admitted_on": "2026-01-05", "kind": "emergency"}
    return [
        ("page", "get", PAGE, None, 200),
        ("manual", "post", PAGE, manual, 302),
        ("check", "post", CHECK, "file", 302),
        ("result", "get", f"/reports/admissions/imports/{here.pk}/", None, 200),
        ("import", "post", f"/reports/admissions/imports/{here.pk}/import/", None, 302),
        ("discard", "post", f"/reports/admissions/imports/{here.pk}/discard/", None, 302),
        ("foreign result", "get", f"/reports/admissions/imports/{there.pk}/", None, 404),
        ("foreign import", "post", f"/reports/admissions/imports/{there.pk}/import/", None, 404),
        ("foreign discard", "post", f"/reports/admissions/imports/{there.pk}/discard/", None, 404),
    ]


def _send(client, method, url, body, people):
    if body == "file":
        body = {"file": upload(csv_bytes(f"{people[2].nhs_number},2026-01-07,emergency"))}
    return getattr(client, method)(url, body or {})


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_role_matrix(client, member, role, imports, people):
    here, there = imports
    client.force_login(member(role))
    for name, method, url, body, allowed_status in _requests(here, there, people):
        if name == "discard":  # import decided the file just before
            allowed_status = 409
        expected = allowed_status if role in ALLOWED or allowed_status == 404 else 403
        response = _send(client, method, url, body, people)
        assert response.status_code == expected, (role, name, response.status_code)
    if role not in ALLOWED:
        assert not AdmissionEvent.objects.exists()
        assert AdmissionImport.objects.count() == 2


def test_role_matrix_anonymous(client, imports, people):
    here, there = imports
    for _name, method, url, body, _ in _requests(here, there, people):
        response = _send(client, method, url, body, people)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    assert not AdmissionEvent.objects.exists()


def test_wrong_methods(client, login):
    login("chair")
    assert client.get(CHECK).status_code == 405
    assert client.get("/reports/admissions/imports/1/import/").status_code == 405
    assert client.put(PAGE).status_code == 405


def test_manager_is_told_why(client, login):
    login("manager")
    response = client.get(PAGE)
    assert response.status_code == 403
    assert "recorded by the chair and the integrated manager" in text(response)


def test_chair_of_another_network_only_is_refused_here(client, member, network, other_network):
    """A gp here who chairs elsewhere: the page follows the current network's role."""
    user = member("gp")
    from tests.factories import MembershipFactory

    MembershipFactory(user=user, network=other_network, role="chair")
    client.force_login(user)
    session = client.session
    session["icn_network"] = network.slug
    session.save()
    assert client.get(PAGE).status_code == 403
    session["icn_network"] = other_network.slug
    session.save()
    assert client.get(PAGE).status_code == 200


def test_page_lists_recent_imports_with_status(client, login, network, people):
    user = login("chair")
    check(network, user, csv_bytes(f"{people[0].nhs_number},2026-01-10,elective"), "jan.csv")
    done = check(network, user, csv_bytes(f"{people[1].nhs_number},2026-01-10,elective"), "feb.csv")
    admissions_import(admission_import=done, by=user, include_good_rows_only=False)

    body = text(client.get(PAGE))

    assert "jan.csv" in body and "Waiting for a decision" in body
    assert "feb.csv" in body and "Imported" in body
    assert timezone.localdate().strftime("%Y") in body
