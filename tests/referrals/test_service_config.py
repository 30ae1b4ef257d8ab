"""Services as configuration (issue #14.2): a network adds a service (a mental health
pharmacy clinic) without a migration; the API lists them; referrals take any active code of
the person's network; the chair or the integrated manager edits them on the services page."""

import pytest

from networks.models import Network
from networks.services import network_create
from referrals import services
from referrals.models import PatientFlag, Referral, ServiceConfig
from tests.factories import PatientFactory

from .helpers import flag, refer, text

pytestmark = pytest.mark.django_db
CLINIC = "mental_health_pharmacy"
CLINIC_LABEL = "Mental health pharmacy clinic"


def add_clinic(network, by, **overrides):
    values = {
        "code": CLINIC,
        "label": CLINIC_LABEL,
        "accepts": "People on lithium or clozapine needing a medicines review.",
        "serving_roles": ["pharmacist"],
        "active": True,
        "adding": True,
    }
    values.update(overrides)
    return services.service_save(network=network, by=by, **values)


@pytest.fixture
def chair(member):
    return member("chair")


@pytest.fixture
def clinic(network, chair):
    return add_clinic(network, chair)


# --- the API ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["chair", "pharmacist", "pic", "manager", "partner_system"])
def test_any_member_reads_the_networks_services_with_its_own(api, member, clinic, role):
    response = api(member(role)).get("/api/v1/networks/thornton-heath/services/")
    assert response.status_code == 200
    rows = response.json()
    assert [r["code"] for r in rows[:2]] == ["mdt", "medicines_optimisation"]
    assert rows[-1] == {
        "code": CLINIC,
        "label": CLINIC_LABEL,
        "accepts": "People on lithium or clozapine needing a medicines review.",
        "triaged_by": ["pharmacist"],
        "active": True,
    }
    assert len(rows) == 9
    pic = next(r for r in rows if r["code"] == "pic")
    assert pic["triaged_by"] == ["pic"] and pic["label"] == "Personal independence coordination"


def test_another_networks_services_are_404_and_anonymous_401(api, member, other_network):
    user = member("chair")
    assert api(user).get("/api/v1/networks/purbeck/services/").status_code == 404
    assert api(user).get("/api/v1/networks/nowhere/services/").status_code == 404
    assert api().get("/api/v1/networks/thornton-heath/services/").status_code == 401


def test_api_referral_to_a_custom_service_then_inactive_is_400(api, member, patient, clinic, chair):
    client = api(member("gp"))
    body = {"patient": patient.pk, "service": CLINIC, "reason": "Lithium level overdue"}
    response = client.post("/api/v1/referrals/", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["service"] == CLINIC
    Referral.objects.all().delete()
    add_clinic(patient.network, chair, active=False, adding=False)
    response = client.post("/api/v1/referrals/", body, format="json")
    assert response.status_code == 400
    assert "is not an active service of this network" in response.json()["service"][0]
    response = client.post("/api/v1/referrals/", {**body, "service": "astrology"}, format="json")
    assert response.status_code == 400 and "'astrology'" in response.json()["service"][0]
    assert not Referral.objects.exists()


def test_a_custom_service_of_one_network_is_not_another_networks(
    api, member, clinic, other_network
):
    other_person = PatientFactory(network=other_network)
    user = member("gp", net=other_network)
    response = api(user).post(
        "/api/v1/referrals/",
        {"patient": other_person.pk, "service": CLINIC, "reason": "Lithium"},
        format="json",
    )
    assert response.status_code == 400 and not Referral.objects.exists()


# --- referring on the page, labels, the inbox --------------------------------------------------


def test_page_referral_to_a_custom_service_reaches_its_triaging_role(
    client, member, patient, clinic, chair
):
    client.force_login(member("gp"))
    form = client.get(f"/referrals/patients/{patient.pk}/refer/")
    page = text(form)
    assert f'<option value="{CLINIC}">{CLINIC_LABEL}</option>' in page
    assert "People on lithium or clozapine needing a medicines review." in page
    response = client.post(
        f"/referrals/patients/{patient.pk}/refer/",
        {"service": CLINIC, "reason": "Shaky on lithium", "urgency": "routine"},
    )
    assert response.status_code == 302
    referral = Referral.objects.get(service=CLINIC)
    assert f"{CLINIC_LABEL} referral" in text(client.get(f"/patients/{patient.pk}/"))

    client.force_login(member("pharmacist"))
    inbox = client.get(f"/referrals/inbox/{CLINIC}/")
    assert inbox.status_code == 200 and f'id="referral-{referral.pk}"' in text(inbox)
    client.force_login(member("social_worker"))
    assert client.get(f"/referrals/inbox/{CLINIC}/").status_code == 403


def test_referral_form_lists_only_active_services(client, member, patient, clinic, chair):
    add_clinic(patient.network, chair, active=False, adding=False)
    client.force_login(member("gp"))
    page = text(client.get(f"/referrals/patients/{patient.pk}/refer/"))
    assert f'value="{CLINIC}"' not in page
    assert '<option value="mdt">MDT</option>' in page


def test_a_built_in_service_renamed_shows_the_networks_label(client, member, patient, chair):
    add_clinic(
        patient.network,
        chair,
        code="pic",
        label="Community connector",
        serving_roles=["pic"],
        adding=False,
    )
    referral = refer(patient, chair, service="pic")
    assert str(referral).startswith("Community connector referral")
    client.force_login(member("gp"))
    page = text(client.get(f"/patients/{patient.pk}/"))
    assert "Community connector" in page


def test_red_flag_for_a_switched_off_built_in_service_goes_to_the_mdt(patient, chair):
    add_clinic(
        patient.network,
        chair,
        code="social_services",
        label="Social services",
        serving_roles=["social_worker"],
        active=False,
        adding=False,
    )
    raised = services.flag_raise(
        patient=reloaded(patient), flag=flag("no_heating"), by=chair, raised_from="patient"
    )
    assert [r.service for r in raised.flag_referrals] == ["mdt"]
    assert PatientFlag.objects.get().referral.service == "mdt"


def reloaded(patient):
    return type(patient).objects.select_related("network").get(pk=patient.pk)


def test_a_new_network_gets_the_built_in_services(db):
    network = network_create(
        network=Network(slug="new-town", name="New Town", vocabulary="icn", meeting_weekdays=[1]),
        by=None,
    )
    rows = ServiceConfig.objects.filter(network=network)
    assert rows.count() == 8
    assert rows.get(service="mdt").label == "MDT"
    assert rows.get(service="medicines_optimisation").serving_roles == [
        "pharmacist",
        "pharmacy_technician",
    ]


# --- the services page ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["chair", "integrated_manager"])
def test_chair_and_integrated_manager_list_add_and_edit_services(client, member, role):
    client.force_login(member(role))
    listing = client.get("/referrals/services/")
    assert listing.status_code == 200
    assert "Medicines optimisation" in text(listing)
    response = client.post(
        "/referrals/services/add/",
        {
            "code": CLINIC,
            "label": CLINIC_LABEL,
            "accepts": "Antipsychotics, lithium.",
            "serving_roles": ["pharmacist", "pharmacy_technician"],
            "active": "on",
        },
    )
    assert response.status_code == 302, text(response)
    config = ServiceConfig.objects.get(service=CLINIC)
    assert (config.label, config.serving_roles, config.active) == (
        CLINIC_LABEL,
        ["pharmacist", "pharmacy_technician"],
        True,
    )
    assert CLINIC_LABEL in text(client.get("/referrals/services/"))
    edit = client.get(f"/referrals/services/{CLINIC}/edit/")
    assert edit.status_code == 200 and "Antipsychotics, lithium." in text(edit)
    response = client.post(
        f"/referrals/services/{CLINIC}/edit/",
        {"label": "MH pharmacy", "accepts": "", "serving_roles": ["pharmacist"]},
    )
    assert response.status_code == 302
    config.refresh_from_db()
    assert (config.label, config.active, config.serving_roles) == (
        "MH pharmacy",
        False,
        ["pharmacist"],
    )


@pytest.mark.parametrize(
    "role", ["gp", "pharmacist", "social_worker", "pic", "manager", "ig_lead", "partner_system"]
)
def test_other_roles_may_not_change_services(client, member, role):
    client.force_login(member(role))
    assert client.get("/referrals/services/").status_code == 403
    assert client.get("/referrals/services/add/").status_code == 403
    response = client.post(
        "/referrals/services/add/",
        {"code": CLINIC, "label": CLINIC_LABEL, "serving_roles": ["pharmacist"]},
    )
    assert response.status_code == 403
    assert client.get("/referrals/services/mdt/edit/").status_code == 403
    assert not ServiceConfig.objects.exists()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"code": "Mental Health!"}, "code", "lower-case letters"),
        ({"code": "medicines_optimisation"}, "code", "already has a service with the code"),
        ({"code": CLINIC}, "code", "already has a service with the code"),
        ({"serving_roles": []}, "serving_roles", "Choose at least one role"),
        ({"serving_roles": ["manager"]}, "serving_roles", "Select a valid choice"),
        ({"label": " "}, "label", "Give the service a name"),
    ],
)
def test_bad_service_input_is_a_clear_error_and_nothing_saved(
    client, member, clinic, data, field, message
):
    client.force_login(member("chair"))
    before = list(ServiceConfig.objects.values_list("service", "label", "serving_roles"))
    body = {
        "code": "falls_clinic",
        "label": "Falls clinic",
        "accepts": "",
        "serving_roles": ["physiotherapist"],
        "active": "on",
        **data,
    }
    response = client.post("/referrals/services/add/", body)
    assert response.status_code == 422
    errors = response.context["form"].errors[field]
    assert message in " ".join(errors)
    assert "There is a problem" in text(response)
    assert list(ServiceConfig.objects.values_list("service", "label", "serving_roles")) == before


def test_the_mdt_cannot_be_switched_off(client, member):
    client.force_login(member("chair"))
    response = client.post(
        "/referrals/services/mdt/edit/", {"label": "MDT", "serving_roles": ["chair"]}
    )
    assert response.status_code == 422
    assert "cannot be switched off" in " ".join(response.context["form"].errors["active"])
    assert not ServiceConfig.objects.exists()
    assert client.get("/referrals/services/nothing/edit/").status_code == 404


def test_services_page_queries_do_not_grow_with_services(
    client, member, chair, django_assert_max_num_queries
):
    client.force_login(member("integrated_manager"))
    client.get("/referrals/services/")
    network = Network.objects.get(slug="thornton-heath")
    for n in range(12):
        add_clinic(network, chair, code=f"clinic_{n}", label=f"Clinic {n}")
    with django_assert_max_num_queries(12):
        response = client.get("/referrals/services/")
    assert response.status_code == 200 and "Clinic 11" in text(response)


def test_person_page_queries_do_not_grow_with_custom_service_referrals(
    client, member, chair, django_assert_max_num_queries
):
    network = Network.objects.get(slug="thornton-heath")
    user = member("gp")
    client.force_login(user)
    people = []
    for n in range(6):
        add_clinic(network, chair, code=f"clinic_{n}", label=f"Clinic {n}")
    person = PatientFactory(network=network)
    for n in range(6):
        people.append(refer(person, user, service=f"clinic_{n}"))
    client.get(f"/patients/{person.pk}/")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as many:
        page = text(client.get(f"/patients/{person.pk}/"))
    assert "Clinic 5 referral" in page or "Clinic 5" in page
    Referral.objects.filter(service__in=[f"clinic_{n}" for n in range(1, 6)]).delete()
    with CaptureQueriesContext(connection) as one:
        client.get(f"/patients/{person.pk}/")
    assert len(many) == len(one)


def test_the_data_migration_gives_existing_networks_the_built_in_services(network, other_network):
    """referrals 0008: every network gets a row per built-in service, its own settings kept
    and labelled."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("referrals.migrations.0008_service_configuration")
    ServiceConfig.objects.create(network=network, service="pic", serving_roles=["social_worker"])
    migration.built_in_services(apps, None)
    migration.built_in_services(apps, None)  # twice: nothing more
    assert ServiceConfig.objects.filter(network=network).count() == 8
    assert ServiceConfig.objects.filter(network=other_network).count() == 8
    pic = ServiceConfig.objects.get(network=network, service="pic")
    assert (pic.label, pic.serving_roles) == (
        "Personal independence coordination",
        ["social_worker"],
    )
