import datetime
import html

import pytest
from django.utils import timezone

from audit.models import AccessEvent
from patients.models import Patient
from tests.factories import PatientFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("everyone_involved")]


@pytest.fixture
def logged_in(client, member):
    def make(role="pharmacist", net=None):
        user = member(role, net=net)
        client.force_login(user)
        return user

    return make


def form_data(**overrides):
    data = {
        "nhs_number": "999 000 0018",
        "given_name": "Margaret",
        "family_name": "Hughes",
        "date_of_birth": "1938-04-02",
        "frailty": "mild",
    }
    data.update(overrides)
    return data


def test_list_shows_my_network_only(client, logged_in, patient, foreign_patient):
    logged_in()
    response = client.get("/patients/")
    body = response.content.decode().lower()
    assert "okafor" in body and "pike" not in body
    assert patient.nhs_number_display in body


def test_search_as_you_type_returns_the_results_fragment(client, logged_in, network, patient):
    logged_in()
    PatientFactory(network=network, given_name="Arthur", family_name="Bell")
    response = client.get("/patients/", {"q": "okaf"}, headers={"HX-Request": "true"})
    body = response.content.decode().lower()
    assert response.status_code == 200
    assert "<html" not in body  # only the fragment
    assert "okafor" in body and "bell" not in body
    assert "HX-Request" in response["Vary"]
    assert AccessEvent.objects.filter(what="search", channel="page", patient=patient).exists()


def test_search_by_nhs_number_with_spaces(client, logged_in, patient):
    logged_in()
    response = client.get("/patients/", {"q": patient.nhs_number_display})
    assert "okafor" in response.content.decode().lower()


def test_create_then_detail(client, logged_in):
    logged_in()
    response = client.post("/patients/new/", form_data())
    patient = Patient.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/patients/{patient.pk}/"
    assert patient.nhs_number == "9990000018"
    page = client.get(response["Location"]).content.decode()
    assert "999 000 0018" in page and "Margaret" in page


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("nhs_number", "9990000019", "check digit"),
        ("nhs_number", "12 34", "10 digits"),
        ("date_of_birth", "2999-01-01", "future"),
        ("date_of_birth", "not a date", "must be a real date"),
        ("given_name", "", "required"),
        ("given_name", "x" * 101, "at most 100"),
        ("family_name", "Hu\x00ghes", "Null characters"),
        ("frailty", "extreme", "valid choice"),
    ],
)
def test_create_bad_input_shows_inline_errors_and_saves_nothing(
    client, logged_in, field, value, message
):
    logged_in()
    response = client.post("/patients/new/", form_data(**{field: value}))
    assert response.status_code == 422
    assert message.lower() in response.content.decode().lower()
    assert response.context["form"].errors[field]
    assert not Patient.objects.exists()


def test_create_duplicate_shows_error_on_nhs_number(client, logged_in, patient):
    logged_in()
    response = client.post("/patients/new/", form_data(nhs_number=patient.nhs_number))
    assert response.status_code == 422
    assert "already recorded" in response.context["form"].errors["nhs_number"][0]
    assert Patient.objects.count() == 1


def test_pic_page_has_no_clinical_details_and_form_no_clinical_fields(client, logged_in, patient):
    logged_in("pic")
    page = client.get(f"/patients/{patient.pk}/").content.decode()
    assert patient.clinical_notes not in page
    assert patient.caseload_reason not in page
    assert patient.social_needs in page
    form = client.get(f"/patients/{patient.pk}/edit/").context["form"]
    assert "clinical_notes" not in form.fields and "frailty" not in form.fields


def test_pharmacist_sees_clinical_details(client, logged_in, patient):
    logged_in("pharmacist")
    page = client.get(f"/patients/{patient.pk}/").content.decode()
    assert patient.clinical_notes in page


def test_edit_saves_and_records_history(client, logged_in, patient):
    logged_in()
    data = form_data(
        nhs_number=patient.nhs_number,
        given_name="Edith",
        family_name="Okafor",
        date_of_birth=patient.date_of_birth.isoformat(),
        frailty="severe",
        phone="01202 999999",
    )
    response = client.post(f"/patients/{patient.pk}/edit/", data)
    assert response.status_code == 302
    patient.refresh_from_db()
    assert (patient.frailty, patient.phone) == ("severe", "01202 999999")
    assert patient.frailty_history.get().frailty == "severe"


def test_edit_bad_input_changes_nothing(client, logged_in, patient):
    logged_in()
    before = Patient.objects.values().get(pk=patient.pk)
    future = (datetime.date.today() + datetime.timedelta(days=3)).isoformat()
    data = form_data(nhs_number=patient.nhs_number, date_of_birth=future, phone="0")
    response = client.post(f"/patients/{patient.pk}/edit/", data)
    assert response.status_code == 422
    assert Patient.objects.values().get(pk=patient.pk) == before


def test_consent_is_recorded_on_its_own_page_with_who_and_when(client, logged_in, patient):
    user = logged_in()
    form = client.get(f"/patients/{patient.pk}/consent/")
    assert form.status_code == 200
    assert "Consent to discussion at the MDT" in form.content.decode()
    response = client.post(
        f"/patients/{patient.pk}/consent/", {"consent_mdt": "given", "consent_sharing": "refused"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/patients/{patient.pk}/#summary"
    page = client.get(response["Location"]).content.decode()
    summary = page[page.index('id="summary"') : page.index('id="flags"')]
    assert "Consent recorded." in summary and "Sharing information: refused" in summary
    patient.refresh_from_db()
    assert (patient.consent_mdt, patient.consent_sharing) == ("given", "refused")
    assert patient.consent_recorded_by == user and patient.consent_recorded_at


def test_consent_bad_value_is_422_and_unchanged(client, logged_in, patient):
    logged_in()
    response = client.post(
        f"/patients/{patient.pk}/consent/", {"consent_mdt": "perhaps", "consent_sharing": "given"}
    )
    assert response.status_code == 422
    assert "There is a problem" in response.content.decode()
    patient.refresh_from_db()
    assert patient.consent_mdt == "not_asked" and patient.consent_recorded_at is None


def test_care_team_add_and_remove_after_confirming(client, logged_in, member, patient):
    from networks.models import Membership

    logged_in()
    nurse = Membership.objects.get(user=member("community_nurse"))
    assert client.get(f"/patients/{patient.pk}/care-team/").status_code == 200
    response = client.post(
        f"/patients/{patient.pk}/care-team/", {"membership": nurse.pk, "involvement": "Dressings"}
    )
    assert response["Location"] == f"/patients/{patient.pk}/#care-team"
    team = patient.care_team.get()
    assert team.membership == nurse
    page = client.get(f"/patients/{patient.pk}/").content.decode()
    assert "Dressings" in page
    remove = f"/patients/{patient.pk}/care-team/{team.pk}/remove/"
    question = client.get(remove).content.decode()
    assert "Remove" in question and nurse.user.get_full_name() in question
    assert patient.care_team.exists()  # asking removes nothing
    response = client.post(remove, {"confirm": "remove"})
    assert response["Location"] == f"/patients/{patient.pk}/#care-team"
    assert not patient.care_team.exists()


def test_a_single_post_without_confirming_removes_no_one(client, logged_in, member, patient):
    """Found in #16: a PIC removed the pharmacist from a care team with one press."""
    from networks.models import Membership
    from patients.services import care_team_add

    user = logged_in("pic")
    pharmacist = Membership.objects.get(user=member("pharmacist"))
    team = care_team_add(patient=patient, membership=pharmacist, by=user)
    remove = f"/patients/{patient.pk}/care-team/{team.pk}/remove/"
    response = client.post(remove)
    assert response.status_code == 302 and response["Location"] == remove  # asked, not done
    response = client.post(remove, {"confirm": "yes"})
    assert response["Location"] == remove
    assert patient.care_team.filter(pk=team.pk).exists()


def test_care_team_add_bad_input_is_422_and_adds_no_one(client, logged_in, patient):
    logged_in()
    response = client.post(f"/patients/{patient.pk}/care-team/", {"membership": "nobody"})
    assert response.status_code == 422
    assert "There is a problem" in response.content.decode()
    assert not patient.care_team.exists()


def test_care_team_involvement_is_clinical_and_not_shown_to_the_pic(
    client, logged_in, member, patient
):
    """Found in the go-live attack pass: the free-text "what they do for this person" was
    shown to the voluntary-sector PIC ("manages her warfarin", "dressings for her ulcer")."""
    from networks.models import Membership
    from patients.services import care_team_add

    gp = Membership.objects.get(user=member("gp"))
    care_team_add(patient=patient, membership=gp, by=gp.user, involvement="Manages her warfarin")
    pic = logged_in("pic")
    page = html.unescape(client.get(f"/patients/{patient.pk}/").content.decode())
    assert gp.user.get_full_name() in page  # who is on the team: yes (O'Neill escaped too)
    assert "warfarin" not in page and 'name="involvement"' not in page
    nurse = Membership.objects.get(user=member("community_nurse"))
    client.post(
        f"/patients/{patient.pk}/care-team/",
        {"membership": nurse.pk, "involvement": "Leg ulcer dressings"},
    )
    added = patient.care_team.get(membership=nurse)
    assert added.involvement == "" and added.added_by == pic


def test_care_team_refuses_members_of_other_networks(
    client, logged_in, member, patient, other_network
):
    from networks.models import Membership

    logged_in()
    outsider = Membership.objects.get(user=member("gp", net=other_network))
    response = client.post(f"/patients/{patient.pk}/care-team/", {"membership": outsider.pk})
    assert response.status_code == 422
    assert not patient.care_team.exists()


def test_access_log_on_the_page_for_the_chair_only(client, logged_in, member, patient):
    logged_in("gp")
    client.get(f"/patients/{patient.pk}/")
    client.logout()
    logged_in("chair")
    page = client.get(f"/patients/{patient.pk}/").content.decode()
    assert "gp.thornton-heath" in page
    full = client.get(f"/patients/{patient.pk}/access-log/").content.decode()
    assert "gp.thornton-heath" in full


def test_network_switcher_changes_the_list(
    client, member, network, other_network, patient, foreign_patient
):
    from networks.services import membership_add

    user = member("pharmacist")
    membership_add(user=user, network=other_network, role="pharmacist", by=None)
    client.force_login(user)
    client.post("/network/switch/", {"network": "thornton-heath"})
    assert "okafor" in client.get("/patients/").content.decode().lower()
    client.post("/network/switch/", {"network": "purbeck", "next": "/patients/"})
    body = client.get("/patients/").content.decode().lower()
    assert "pike" in body and "okafor" not in body
    assert "integrated hub" in body or "hub" in body
    # a slug the user is not in changes nothing
    client.post("/network/switch/", {"network": "nowhere"})
    assert "pike" in client.get("/patients/").content.decode().lower()


def test_switch_refuses_offsite_next(client, logged_in):
    logged_in()
    response = client.post(
        "/network/switch/", {"network": "thornton-heath", "next": "//evil.example"}
    )
    assert response["Location"] == "/"


def test_vocabulary_in_the_layout(client, logged_in, member, other_network):
    logged_in("chair")
    assert "network facilitator" in client.get("/patients/").content.decode().lower()
    client.logout()
    logged_in("chair", net=other_network)
    body = client.get("/patients/").content.decode().lower()
    assert "health and social care coordinator" in body and "integrated hub" in body


def test_list_page_query_count_constant(client, logged_in, network, django_assert_max_num_queries):
    logged_in()
    PatientFactory.create_batch(2, network=network)
    # 12: the latest frailty scores are a query, the filters' choices (key workers, care
    # homes, GP practices) a query each; other apps' columns are in the list's own query.
    with django_assert_max_num_queries(12):
        client.get("/patients/")
    PatientFactory.create_batch(23, network=network)
    with django_assert_max_num_queries(12):
        assert client.get("/patients/").status_code == 200


def test_detail_page_query_count_constant(
    client, logged_in, member, patient, django_assert_max_num_queries
):
    from networks.models import Membership
    from patients.services import care_team_add
    from tests.factories import ActionFactory

    user = logged_in("chair")
    # 26 for the page and its sections (the care plan, its needs and its interventions are a
    # query each, careplans.sections, with or without a plan; the referrals' flags and the
    # visits' changes to medicines one each, with or without rows), 7 for the timeline
    # (patients/timeline.py: one query per source, consent changes from the row history
    # among them, the tasks agreed at discussions; the network's member labels, shared with
    # the referrals).
    with django_assert_max_num_queries(33):
        client.get(f"/patients/{patient.pk}/")
    for role in ("gp", "community_nurse", "pic", "physiotherapist"):
        care_team_add(
            patient=patient, membership=Membership.objects.get(user=member(role)), by=user
        )
    ActionFactory.create_batch(6, patient=patient)
    from careplans.services import care_plan_save

    soon = timezone.localdate() + datetime.timedelta(days=7)
    care_plan_save(
        by=user,
        patient=patient,
        version=0,
        data={
            "review_on": soon,
            "needs": [{"domain": "home", "description": f"Need {n}"} for n in range(5)],
            "interventions": [
                {"description": f"Step {n}", "owner_role": "gp", "due_on": soon} for n in range(5)
            ],
        },
    )
    with django_assert_max_num_queries(33):
        assert client.get(f"/patients/{patient.pk}/").status_code == 200


def test_edit_form_shows_the_date_of_birth_in_the_date_input(client, logged_in, patient):
    logged_in()
    page = client.get(f"/patients/{patient.pk}/edit/").content.decode()
    born = patient.date_of_birth
    for part, value in (("day", born.day), ("month", born.month), ("year", born.year)):
        assert (
            f'name="date_of_birth-{part}" type="text" inputmode="numeric" value="{value}"' in page
        )
    assert "GP practice" in page


def test_pic_sees_only_their_own_open_tasks_on_the_page(client, logged_in, patient):
    from tests.factories import ActionFactory

    ActionFactory(patient=patient, assignee_role="pharmacist", title="Switch tablets to liquids")
    ActionFactory(patient=patient, assignee_role="pic", title="Arrange befriending")
    logged_in("pic")
    page = client.get(f"/patients/{patient.pk}/").content.decode()
    assert "Arrange befriending" in page and "Switch tablets" not in page
    client.logout()
    logged_in("gp")
    page = client.get(f"/patients/{patient.pk}/").content.decode()
    assert "Arrange befriending" in page and "Switch tablets" in page


def test_detail_page_queries_the_same_for_a_bare_record_and_a_long_history(
    client, member, network, django_assert_max_num_queries
):
    """The benchmark's two people (benchmarks/hotpaths_paths.py): one with nothing but the
    record, one with years of referrals, visits, discussions and the tasks agreed at them,
    admissions and frailty; the same queries for both (a query skipped when there are no rows
    is a query that grows with them)."""
    from tests.patients.test_timeline import at, one_of_each

    chair, pharmacist = member("chair"), member("pharmacist")
    bare = PatientFactory(network=network)
    busy = PatientFactory(network=network)
    one_of_each(busy, chair, pharmacist, at(2026, 1, 1), n=12)
    client.force_login(chair)
    client.get(f"/patients/{bare.pk}/")
    with django_assert_max_num_queries(33) as few:
        assert client.get(f"/patients/{bare.pk}/").status_code == 200
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(f"/patients/{busy.pk}/").content.decode()
    assert "Call the GP 11" in page
