"""The referral pages: the referral form, red flags raised and resolved from the person's
page, the person's referral history, the count in the navigation, and query counts that do
not grow with rows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import AccessEvent
from referrals import services
from referrals.models import PatientFlag, RedFlag, Referral
from tests.factories import PatientFactory

from .factories import PatientFlagFactory, ReferralFactory
from .helpers import MEDS, flag, message_texts, quoted, refer, text

pytestmark = pytest.mark.django_db


# --- the referral form -------------------------------------------------------------------------


def test_referral_form_shows_services_with_criteria_and_red_flags_grouped(client, login, patient):
    login("social_worker")
    response = client.get(f"/referrals/patients/{patient.pk}/refer/")
    assert response.status_code == 200
    page = text(response)
    assert "Refer Edith Okafor" in page
    assert '<option value="medicines_optimisation">Medicines optimisation</option>' in page
    assert 'hx-get="/referrals/criteria/?network=thornton-heath"' in page
    assert "What each service accepts" in page and "Not personal care." in page
    for group in ("Medicines", "Home"):  # the flags grouped, and a box to find one
        assert (
            f'<legend class="nhsuk-fieldset__legend nhsuk-fieldset__legend--s">{group}</legend>'
            in page
        )
    assert '<label class="nhsuk-label" for="red-flag-filter">Find a red flag</label>' in page
    assert 'value="medicines_stockpile"' in page
    assert "To Social services, urgent" in page  # no_heating routes there, urgent
    assert 'id="id_urgency_0"' in page and "checked" in page
    assert AccessEvent.objects.filter(what="refer", patient=patient).exists()


def test_referral_form_preselects_a_service_and_shows_its_criteria(client, login, patient):
    login("social_worker")
    page = text(client.get(f"/referrals/patients/{patient.pk}/refer/?service=pic"))
    assert '<option value="pic" selected>' in page
    assert "Personal independence coordination accepts" in page


def test_criteria_fragment(client, login):
    login("social_worker")
    response = client.get("/referrals/criteria/", {"service": "social_services"})
    assert response.status_code == 200
    body = text(response)
    assert "<html" not in body
    assert "Social services accepts" in body and "safeguarding" in body
    body = text(client.get("/referrals/criteria/", {"service": "nonsense"}))
    assert "Choose a service to see what it accepts." in body
    assert client.get("/referrals/criteria/", {"network": "purbeck"}).status_code == 404


def test_refer_with_a_red_flag_to_another_service(client, login, patient):
    user = login("pharmacist")
    response = client.post(
        f"/referrals/patients/{patient.pk}/refer/",
        {
            "service": MEDS,
            "reason": "Taking two kinds of blood thinner",
            "urgency": "routine",
            "red_flags": ["no_heating"],
        },
        follow=True,
    )
    assert response.redirect_chain == [(f"/patients/{patient.pk}/#referrals", 302)]
    assert message_texts(response) == [
        f"Referred to Medicines optimisation. The red flag {quoted('Heating broken or not used')} "
        "also raised a referral to Social services."
    ]
    meds = Referral.objects.get(service=MEDS)
    assert (meds.origin, meds.referred_by, meds.reason) == (
        "manual",
        user,
        "Taking two kinds of blood thinner",
    )
    social = Referral.objects.get(service="social_services")
    assert (social.origin, social.urgency) == ("red_flag", "urgent")
    assert PatientFlag.objects.get().referral == social
    page = text(response)
    assert "Taking two kinds of blood thinner" in page and "Heating broken or not used" in page


def test_refer_with_a_red_flag_owned_by_the_same_service_puts_it_on_this_referral(
    client, login, patient
):
    login("social_worker")
    response = client.post(
        f"/referrals/patients/{patient.pk}/refer/",
        {
            "service": MEDS,
            "reason": "Boxes",
            "urgency": "urgent",
            "red_flags": ["expired_medicines"],
        },
        follow=True,
    )
    assert (
        f"The red flag {quoted('Expired medicines in the home')} is on this referral."
        in " ".join(message_texts(response))
    )
    referral = Referral.objects.get()
    assert referral.urgency == "urgent" and referral.flags.get().flag.code == "expired_medicines"


def test_refer_when_a_flag_joins_an_open_referral_says_so(client, login, patient, social_worker):
    login("pharmacist")
    open_social = refer(patient, social_worker, service="social_services")
    response = client.post(
        f"/referrals/patients/{patient.pk}/refer/",
        {"service": MEDS, "reason": "Boxes", "urgency": "routine", "red_flags": ["no_heating"]},
        follow=True,
    )
    assert (
        f"The red flag {quoted('Heating broken or not used')} was added to the open "
        f"Social services referral (#{open_social.pk})."
    ) in " ".join(message_texts(response))
    assert Referral.objects.count() == 2


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"reason": ""}, "reason", "Say why you are referring."),
        ({"reason": "   "}, "reason", "Say why you are referring."),
        ({"reason": "x" * 4001}, "reason", "at most 4000"),
        ({"service": ""}, "service", "Choose the service you are referring to."),
        ({"service": "astrology"}, "service", "valid choice"),
        ({"urgency": "whenever"}, "urgency", "valid choice"),
        ({"urgency": ""}, "urgency", "Choose routine or urgent."),
        ({"red_flags": ["no_such_flag"]}, "red_flags", "valid choice"),
    ],
)
def test_refer_bad_input_shows_inline_errors_and_saves_nothing(
    client, login, patient, data, field, message
):
    login("social_worker")
    body = {"service": MEDS, "reason": "Boxes", "urgency": "routine", "red_flags": ["fall"]}
    body.update(data)
    response = client.post(f"/referrals/patients/{patient.pk}/refer/", body)
    assert response.status_code == 422
    assert message in text(response)
    assert response.context["form"].errors[field]
    assert "There is a problem" in text(response)
    assert not Referral.objects.exists() and not PatientFlag.objects.exists()


def test_refer_to_an_inactive_service_is_refused(client, login, network, patient):
    from referrals.models import ServiceConfig

    ServiceConfig.objects.create(network=network, service="physiotherapy", active=False)
    login("social_worker")
    response = client.post(
        f"/referrals/patients/{patient.pk}/refer/",
        {"service": "physiotherapy", "reason": "Falls", "urgency": "routine"},
    )
    assert response.status_code == 422
    assert response.context["form"].errors["service"]
    assert not Referral.objects.exists()


def test_refer_when_one_is_already_open_is_an_error_on_service_and_saves_nothing(
    client, login, patient, social_worker
):
    login("pharmacist")
    existing = refer(patient, social_worker)
    response = client.post(
        f"/referrals/patients/{patient.pk}/refer/",
        {"service": MEDS, "reason": "Again", "urgency": "routine", "red_flags": ["loneliness"]},
    )
    assert response.status_code == 422
    errors = response.context["form"].errors["service"]
    assert "already has an open medicines optimisation referral" in errors[0]
    assert list(Referral.objects.all()) == [existing]
    assert not PatientFlag.objects.exists()


def test_refer_form_is_404_for_another_networks_person_and_403_for_a_manager(
    client, login, patient, foreign_patient
):
    login("social_worker")
    assert client.get(f"/referrals/patients/{foreign_patient.pk}/refer/").status_code == 404
    response = client.post(
        f"/referrals/patients/{foreign_patient.pk}/refer/",
        {"service": MEDS, "reason": "x", "urgency": "routine"},
    )
    assert response.status_code == 404
    client.logout()
    login("manager")
    assert client.get(f"/referrals/patients/{patient.pk}/refer/").status_code == 403
    assert not Referral.objects.exists()


# --- red flags on the person's page ---------------------------------------------------------


def test_raise_a_red_flag_on_its_own_raises_a_referral_once(client, login, patient):
    user = login("social_worker")
    url = f"/referrals/patients/{patient.pk}/flags/"
    response = client.post(url, {"flag": "medicines_stockpile", "note": "Bags of boxes"})
    assert response.status_code == 302
    assert response["Location"] == f"/patients/{patient.pk}/#flags"
    assert message_texts(response) == [
        f"Red flag {quoted('Stockpile of medicines')} raised for Edith Okafor. "
        "It raised a referral to Medicines optimisation."
    ]
    patient_flag = PatientFlag.objects.get()
    assert (patient_flag.raised_from, patient_flag.raised_by, patient_flag.note) == (
        "patient",
        user,
        "Bags of boxes",
    )
    referral = Referral.objects.get()
    assert (referral.service, referral.origin, patient_flag.referral) == (
        MEDS,
        "red_flag",
        referral,
    )

    again = client.post(url, {"flag": "medicines_stockpile"})
    assert "already an active red flag" in message_texts(again)[-1]
    assert PatientFlag.objects.count() == 1 and Referral.objects.count() == 1


def test_raise_a_red_flag_joins_the_open_referral(client, login, patient, social_worker):
    login("pharmacist")
    open_meds = refer(patient, social_worker)
    response = client.post(
        f"/referrals/patients/{patient.pk}/flags/", {"flag": "expired_medicines"}
    )
    assert message_texts(response) == [
        f"Red flag {quoted('Expired medicines in the home')} raised for Edith Okafor. "
        f"It was added to the open Medicines optimisation referral (#{open_meds.pk})."
    ]
    assert PatientFlag.objects.get().referral == open_meds
    assert Referral.objects.count() == 1


@pytest.mark.parametrize("data", [{"flag": ""}, {"flag": "no_such_flag"}, {"note": "x"}])
def test_raise_a_red_flag_bad_input_raises_nothing(client, login, patient, data):
    login("social_worker")
    response = client.post(f"/referrals/patients/{patient.pk}/flags/", data)
    assert response.status_code == 302
    assert message_texts(response)[0].startswith("The red flag was not raised")
    assert not PatientFlag.objects.exists() and not Referral.objects.exists()


def test_raise_an_inactive_red_flag_is_refused(client, login, patient):
    RedFlag.objects.filter(code="fall").update(active=False)
    login("social_worker")
    client.post(f"/referrals/patients/{patient.pk}/flags/", {"flag": "fall"})
    assert not PatientFlag.objects.exists()


def test_resolve_a_red_flag(client, login, patient, social_worker):
    user = login("pharmacist")
    patient_flag = services.flag_raise(
        patient=patient, flag=flag("no_heating"), by=social_worker, raised_from="patient"
    ).flags[0]
    url = f"/referrals/flags/{patient_flag.pk}/resolve/"
    response = client.post(url, {"resolution": "Boiler repaired by the council"})
    assert response.status_code == 302
    assert response["Location"] == f"/patients/{patient.pk}/#flags"
    assert message_texts(response) == [f"Red flag {quoted('Heating broken or not used')} resolved."]
    patient_flag.refresh_from_db()
    assert patient_flag.resolved_by == user and patient_flag.resolved_at
    assert patient_flag.resolution == "Boiler repaired by the council"
    again = client.post(url, {"resolution": "Twice"})
    assert message_texts(again)[-1] == "This flag is already resolved."
    patient_flag.refresh_from_db()
    assert patient_flag.resolution == "Boiler repaired by the council"
    page = text(client.get(f"/patients/{patient.pk}/"))
    assert "No active red flags." in page


def test_resolve_is_404_for_another_networks_flag_and_403_for_a_manager(
    client, login, member, patient, foreign_patient, other_network
):
    theirs = PatientFlagFactory(patient=foreign_patient)
    mine = PatientFlagFactory(patient=patient)
    login("manager")
    assert client.post(f"/referrals/flags/{theirs.pk}/resolve/").status_code == 404
    assert client.post(f"/referrals/flags/{mine.pk}/resolve/").status_code == 403
    mine.refresh_from_db()
    assert mine.resolved_at is None


# --- the person's page ----------------------------------------------------------------------


def test_patient_page_shows_referrals_and_active_flags(
    client, login, member, patient, social_worker
):
    login("pharmacist")
    technician = member("pharmacy_technician")
    raised = services.referral_create(
        patient=patient,
        service="social_services",
        reason="Carer at breaking point",
        by=social_worker,
        red_flags=[flag("medicines_stockpile")],
    )
    services.referral_decline(
        referral=raised.flag_referrals[0],
        by=technician,
        reason="already_known",
        note="We visited on Monday.",
    )
    response = client.get(f"/patients/{patient.pk}/")
    page = text(response)
    # Active red flags: label, who and from where, the referral it is on, Resolve.
    assert 'id="flags"' in page
    assert "Stockpile of medicines" in page
    assert f"Raised by {social_worker.get_full_name()}, Social worker" in page
    assert "from a referral" in page
    assert "Medicines optimisation referral</a> (declined)" in page
    patient_flag = PatientFlag.objects.get()
    assert f'action="/referrals/flags/{patient_flag.pk}/resolve/"' in page
    assert f'action="/referrals/patients/{patient.pk}/flags/"' in page
    # Referrals: service, status, who, why declined, flags; the Refer button.
    assert 'id="referrals"' in page
    assert "Carer at breaking point" in page
    assert "Declined by" in page and f"{technician.get_full_name()}, Pharmacy technician" in page
    assert "Already known to the service: We visited on Monday." in page
    assert f'href="/referrals/patients/{patient.pk}/refer/"' in page
    assert len(response.context["referrals"]) == 2


def test_patient_page_links_new_referrals_i_serve_to_my_inbox(
    client, login, patient, social_worker
):
    login("pharmacist")
    referral = refer(patient, social_worker)
    page = text(client.get(f"/patients/{patient.pk}/"))
    assert f"/referrals/inbox/medicines_optimisation/#referral-{referral.pk}" in page


def test_pic_sees_only_pic_and_own_referrals_on_the_patient_page(
    client, login, patient, social_worker
):
    pic = login("pic")
    refer(patient, social_worker, reason="Warfarin and aspirin together: SECRET-MEDS")
    refer(patient, social_worker, service="pic", reason="Would like a lunch club")
    refer(patient, pic, service="occupational_therapy", reason="My own referral to the OT")
    services.flag_raise(
        patient=patient,
        flag=flag("cannot_manage_medicines"),
        by=social_worker,
        raised_from="patient",
        note="Confused between SECRET-TABLETS",
    )
    response = client.get(f"/patients/{patient.pk}/")
    page = text(response)
    assert "Would like a lunch club" in page and "My own referral to the OT" in page
    assert "SECRET-MEDS" not in page
    assert "SECRET-TABLETS" not in page  # the flag's note: its referral is not theirs to see
    assert "Cannot identify or manage own medicines" in page  # the flag itself is shown
    assert {r.service for r in response.context["referrals"]} == {"pic", "occupational_therapy"}
    assert "You see the referrals to personal independence coordination" in page


# --- the navigation -----------------------------------------------------------------------------


def test_nav_shows_the_count_of_new_referrals_to_my_services(client, login, network, social_worker):
    login("pharmacist")
    for _ in range(3):
        refer(PatientFactory(network=network), social_worker)
    refer(PatientFactory(network=network), social_worker, service="social_services")
    page = text(client.get("/patients/"))
    assert (
        'href="/referrals/inbox/" aria-label="Referrals, 3 new">Referrals '
        '<span class="nav-badge" aria-hidden="true">3</span></a>'
    ) in page


def test_nav_has_no_badge_when_nothing_is_new_and_no_link_for_those_who_serve_nothing(
    client, login
):
    login("pharmacist")
    page = text(client.get("/patients/"))
    assert 'href="/referrals/inbox/">Referrals</a>' in page
    client.logout()
    login("integrated_manager")
    assert 'href="/referrals/inbox/"' not in text(client.get("/patients/"))


def test_nav_count_is_lazy(rf, member, network):
    from django.contrib.sessions.backends.db import SessionStore

    from icn.context_processors import network as network_context

    request = rf.get("/")
    request.user = member("pharmacist")
    request.session = SessionStore()
    with CaptureQueriesContext(connection) as ctx:
        context = network_context(request)
    before = len(ctx.captured_queries)
    with CaptureQueriesContext(connection) as ctx:
        assert int(str(context["inbox_count"])) == 0
    assert before <= 1 and len(ctx.captured_queries) >= 1


# --- query counts ---------------------------------------------------------------------------------


def count_queries(fn) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = fn()
    assert response.status_code == 200, response.content[:300]
    return len(ctx.captured_queries)


def test_inbox_queries_do_not_grow_with_rows(client, login, network, member):
    login("pharmacist")
    referrers = [member(role) for role in ("social_worker", "gp", "community_nurse")]

    def grow(n):
        for i in range(n):
            services.referral_create(
                patient=PatientFactory(network=network),
                service=MEDS,
                reason="Boxes",
                by=referrers[i % 3],
                urgency="urgent" if i % 2 else "routine",
                red_flags=[flag("medicines_stockpile"), flag("expired_medicines")],
            )

    grow(2)
    few = count_queries(lambda: client.get("/referrals/inbox/medicines_optimisation/"))
    grow(25)
    many = count_queries(lambda: client.get("/referrals/inbox/medicines_optimisation/"))
    assert many == few, f"{few} queries with few rows, {many} with many"


def test_patient_page_queries_do_not_grow_with_referrals_and_flags(client, login, member, patient):
    login("chair")
    people = [member(role) for role in ("social_worker", "gp", "pic")]
    codes = list(RedFlag.objects.exclude(code="fall").values_list("code", flat=True))

    def grow(n, start):
        for i in range(start, start + n):
            ReferralFactory(patient=patient, service="gp", declined=True, referred_by=people[i % 3])
            PatientFlagFactory(patient=patient, flag=flag(codes[i]), raised_by=people[i % 3])

    refer(patient, people[0], red_flags=[flag("fall")])
    grow(2, 0)
    few = count_queries(lambda: client.get(f"/patients/{patient.pk}/"))
    grow(10, 2)
    many = count_queries(lambda: client.get(f"/patients/{patient.pk}/"))
    assert many == few, f"{few} queries with few rows, {many} with many"
