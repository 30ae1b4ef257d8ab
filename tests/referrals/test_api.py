import pytest

from audit.models import AccessEvent
from notifications.models import Notification
from referrals.models import PatientFlag, Referral
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/referrals/"


def body(person, **overrides):
    data = {
        "patient": person.pk,
        "service": "medicines_optimisation",
        "reason": "Confused about tablets since discharge",
        "urgency": "routine",
    }
    data.update(overrides)
    return data


def test_red_flag_catalogue(api, member):
    response = api(member("pic")).get("/api/v1/red-flags/")
    assert response.status_code == 200
    rows = {f["code"]: f for f in response.json()}
    assert rows["medicines_stockpile"]["routes_to"] == "medicines_optimisation"
    assert set(rows["fall"]) >= {"code", "label", "category", "routes_to"}


def test_create_with_flags_lists_the_referrals_raised(api, member, patient):
    response = api(member("social_worker")).post(
        URL,
        body(
            patient,
            service="social_services",
            reason="Cold flat",
            red_flags=["no_heating", "medicines_stockpile"],
        ),
        format="json",
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["service"], data["status"], data["origin"]) == ("social_services", "new", "manual")
    assert data["urgency"] == "urgent"  # raised by the urgent no_heating flag
    assert data["flags"] == ["no_heating"]
    assert data["referred_by"] == "social_worker.thornton-heath"
    assert [(r["service"], r["origin"], r["flags"]) for r in data["flag_referrals"]] == [
        ("medicines_optimisation", "red_flag", ["medicines_stockpile"])
    ]
    assert PatientFlag.objects.filter(patient=patient, resolved_at__isnull=True).count() == 2


def test_duplicate_open_referral_is_409_and_nothing_saved(api, member, patient):
    client = api(member("social_worker"))
    assert client.post(URL, body(patient), format="json").status_code == 201
    response = client.post(URL, body(patient, red_flags=["fall"]), format="json")
    assert response.status_code == 409
    assert "already has an open" in response.json()["detail"]
    assert response.json()["referral"] == Referral.objects.get().pk  # they may read it
    assert Referral.objects.count() == 1 and not PatientFlag.objects.exists()


@pytest.mark.parametrize("role", ["partner_system", "pic"])
def test_a_409_names_no_one_the_caller_may_not_read(api, member, patient, role):
    """Found in the go-live attack pass: a duplicate referral's 409 named the person and the
    other referral's id to a partner system or PIC, so walking NHS numbers or ids revealed
    every name on the caseload."""
    existing = api(member("gp")).post(URL, body(patient, service="mdt"), format="json")
    assert existing.status_code == 201
    caller = member(role)
    request = {"service": "mdt", "reason": "Fell twice this week", "urgency": "routine"}
    if role == "partner_system":
        request |= {"nhs_number": patient.nhs_number, "network_slug": "thornton-heath"}
    else:
        request |= {"patient": patient.pk}
    response = api(caller).post(URL, request, format="json")
    assert response.status_code == 409
    text = response.content.decode()
    assert patient.given_name not in text and patient.family_name not in text
    assert str(existing.json()["id"]) not in text
    assert "referral" not in response.json()
    assert Referral.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"service": "astrology"}, "service"),
        ({"service": None}, "service"),
        ({"reason": ""}, "reason"),
        ({"reason": "x" * 4001}, "reason"),
        ({"reason": "bad\x00"}, "reason"),
        ({"urgency": "asap"}, "urgency"),
        ({"red_flags": ["nope"]}, "red_flags"),
        ({"red_flags": "medicines_stockpile"}, "red_flags"),
        ({"red_flags": [7]}, "red_flags"),
        ({"patient": 99999999}, "patient"),
        ({"patient": "me"}, "patient"),
        ({"source_organisation": "NOWHERE"}, "source_organisation"),
    ],
)
def test_bad_input_is_400_and_nothing_saved(api, member, patient, change, field):
    response = api(member("social_worker")).post(URL, body(patient, **change), format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()
    assert not Referral.objects.exists() and not PatientFlag.objects.exists()


def test_another_networks_patient_is_400_unknown(api, member, foreign_patient):
    response = api(member("social_worker")).post(URL, body(foreign_patient), format="json")
    assert response.status_code == 400
    assert "patient" in response.json()
    assert not Referral.objects.exists()


def test_manager_may_not_refer(api, member, patient):
    assert api(member("manager")).post(URL, body(patient), format="json").status_code == 403
    assert not Referral.objects.exists()


def test_triage_permissions_by_service(api, member, patient):
    referral_id = api(member("social_worker")).post(URL, body(patient), format="json").json()["id"]
    assert api(member("physiotherapist")).post(f"{URL}{referral_id}/accept/").status_code == 403
    assert api(member("pic")).post(f"{URL}{referral_id}/accept/").status_code == 403
    response = api(member("pharmacy_technician")).post(f"{URL}{referral_id}/accept/")
    assert response.status_code == 200
    data = response.json()
    assert (data["status"], data["triaged_by"]) == (
        "accepted",
        "pharmacy_technician.thornton-heath",
    )
    assert data["triaged_at"]


def test_chair_may_triage_any_service(api, member, patient):
    referral_id = (
        api(member("gp"))
        .post(URL, body(patient, service="pic", reason="Lonely"), format="json")
        .json()["id"]
    )
    assert api(member("chair")).post(f"{URL}{referral_id}/accept/").status_code == 200


def test_decline_with_reason_tells_the_referrer(api, member, patient):
    referrer = member("social_worker")
    referral_id = api(referrer).post(URL, body(patient), format="json").json()["id"]
    client = api(member("pharmacist"))
    assert (
        client.post(f"{URL}{referral_id}/decline/", {"reason": "why"}, format="json").status_code
        == 400
    )
    assert client.post(f"{URL}{referral_id}/decline/", {}, format="json").status_code == 400
    assert Referral.objects.get().status == "new"
    response = client.post(
        f"{URL}{referral_id}/decline/",
        {"reason": "already_known", "note": "On our caseload"},
        format="json",
    )
    assert response.status_code == 200
    assert (response.json()["decline_reason"], response.json()["decline_note"]) == (
        "already_known",
        "On our caseload",
    )
    notification = Notification.objects.get(recipient=referrer)
    assert "declined" in notification.title
    mine = api(referrer).get("/api/v1/notifications/").json()["results"]
    assert mine[0]["kind"] == "referral_declined"


def test_wrong_state_is_409(api, member, patient):
    referral_id = api(member("social_worker")).post(URL, body(patient), format="json").json()["id"]
    client = api(member("pharmacist"))
    done = {"outcome": "Reviewed at home"}
    # cannot skip accepted
    assert client.post(f"{URL}{referral_id}/complete/", done, format="json").status_code == 409
    assert client.post(f"{URL}{referral_id}/accept/").status_code == 200
    assert client.post(f"{URL}{referral_id}/accept/").status_code == 409
    assert client.post(f"{URL}{referral_id}/complete/", done, format="json").status_code == 200
    assert (
        client.post(
            f"{URL}{referral_id}/decline/", {"reason": "other", "note": "x"}, format="json"
        ).status_code
        == 409
    )


def test_only_the_referrer_withdraws_and_only_while_new(api, member, patient):
    referrer = member("social_worker")
    referral_id = api(referrer).post(URL, body(patient), format="json").json()["id"]
    assert api(member("pharmacist")).post(f"{URL}{referral_id}/withdraw/").status_code == 403
    response = api(referrer).post(f"{URL}{referral_id}/withdraw/")
    assert response.status_code == 200 and response.json()["status"] == "withdrawn"
    assert api(referrer).post(f"{URL}{referral_id}/withdraw/").status_code == 409


def test_filters(api, member, patient, network):
    client = api(member("social_worker"))
    other = PatientFactory(network=network)
    client.post(URL, body(patient), format="json")
    client.post(URL, body(other, service="pic", reason="Lonely"), format="json")
    reader = api(member("gp"))
    ids = lambda params: [r["patient"] for r in reader.get(URL, params).json()["results"]]  # noqa: E731
    assert ids({"patient": patient.pk}) == [patient.pk]
    assert ids({"service": "pic"}) == [other.pk]
    assert ids({"status": "accepted"}) == []
    assert sorted(ids({"network": "thornton-heath"})) == sorted([patient.pk, other.pk])
    assert reader.get(URL, {"status": "lost"}).status_code == 400
    assert AccessEvent.objects.filter(what="referral_list").exists()


def test_pic_sees_pic_referrals_and_their_own_only(api, member, patient):
    api(member("gp")).post(URL, body(patient), format="json")
    api(member("gp", username="gp2")).post(
        URL, body(patient, service="pic", reason="Lonely"), format="json"
    )
    pic = member("pic")
    api(pic).post(URL, body(patient, service="physiotherapy", reason="Unsteady"), format="json")
    services = sorted(r["service"] for r in api(pic).get(URL).json()["results"])
    assert services == ["physiotherapy", "pic"]
    medicines = Referral.objects.get(service="medicines_optimisation")
    assert api(pic).get(f"{URL}{medicines.pk}/").status_code == 403


def test_other_networks_referrals_are_404(api, member, foreign_patient, other_network):
    outsider = member("social_worker", net=other_network)
    referral_id = api(outsider).post(URL, body(foreign_patient), format="json").json()["id"]
    client = api(member("pharmacist"))
    assert client.get(f"{URL}{referral_id}/").status_code == 404
    assert client.post(f"{URL}{referral_id}/accept/").status_code == 404
    assert Referral.objects.get().status == "new"


def test_partner_system_creates_by_nhs_number_and_reads_only_its_own(api, member, patient, network):
    from networks.models import Membership
    from tests.factories import OrganisationFactory

    trust = OrganisationFactory(code="RJ6", name="Croydon University Hospital", kind="nhs_trust")
    partner = member("partner_system", username="cuh-discharge")
    Membership.objects.filter(user=partner).update(organisation=trust)
    client = api(partner)
    response = client.post(
        URL,
        {
            "nhs_number": patient.nhs_number_display,
            "network_slug": "thornton-heath",
            "service": "mdt",
            "reason": "Discharged today after a fall; lives alone",
            "urgency": "urgent",
            "source_contact": "Ward 7 discharge team, 020 8401 3000",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["source_organisation"], data["patient"]) == ("RJ6", patient.pk)
    api(member("gp")).post(URL, body(patient), format="json")
    assert [r["id"] for r in client.get(URL).json()["results"]] == [data["id"]]
    assert client.get(f"/api/v1/patients/{patient.pk}/").status_code == 403
    assert client.post(f"{URL}{data['id']}/accept/").status_code == 403
    wrong = client.post(
        URL,
        {
            "nhs_number": "9990000018",
            "network_slug": "thornton-heath",
            "service": "mdt",
            "reason": "x",
        },
        format="json",
    )
    assert wrong.status_code == 400 and "nhs_number" in wrong.json()
    elsewhere = client.post(
        URL,
        {
            "nhs_number": patient.nhs_number,
            "network_slug": "purbeck",
            "service": "mdt",
            "reason": "x",
        },
        format="json",
    )
    assert elsewhere.status_code == 400 and "network_slug" in elsewhere.json()


def test_list_query_count_constant(api, member, network, django_assert_max_num_queries):
    from referrals import services
    from referrals.models import RedFlag

    referrer = member("social_worker")
    reader = api(member("gp"))

    def make(n):
        for p in PatientFactory.create_batch(n, network=network):
            services.referral_create(
                patient=p,
                service="social_services",
                reason="x",
                by=referrer,
                red_flags=[RedFlag.objects.get(code="fall")],
            )

    make(2)
    with django_assert_max_num_queries(10):
        reader.get(URL)
    make(25)
    with django_assert_max_num_queries(10):
        assert reader.get(URL).json()["count"] == 54


def test_untriaged_referral_matches_the_published_schema(api, member, patient):
    """Found by the API fuzz test: `triaged_by` is null and `decline_reason` blank until the
    referral is triaged; the schema allowed neither."""
    from tests.openapi import assert_matches_schema

    client = api(member("pharmacist"))
    created = client.post(URL, body(patient), format="json").json()
    response = client.get(f"{URL}{created['id']}/")
    assert response.json()["triaged_by"] is None and response.json()["decline_reason"] == ""
    assert_matches_schema(response, "get", "/api/v1/referrals/{id}/")


def test_nul_character_in_a_red_flag_code_is_400(api, member, patient):
    """Found by the API fuzz test: the red-flag lookup sent the NUL to PostgreSQL (a 500)."""
    response = api(member("pharmacist")).post(
        URL, body(patient, red_flags=["fall\x00"]), format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"red_flags": ["Null characters are not allowed."]}
    assert not Referral.objects.exists()


def test_list_rows_are_the_serializers(api, member, network):
    """The list builds its rows without the serializer's per-field machinery: each must be
    what ReferralSerializer gives (the detail), field for field and in order."""
    import datetime

    from django.utils import timezone

    from networks.models import Organisation
    from referrals.models import RedFlag
    from tests.factories import OrganisationFactory
    from tests.referrals.factories import PatientFlagFactory, ReferralFactory, age

    chair = member("chair")
    person = PatientFactory(network=network)
    plain = age(ReferralFactory(patient=person), days=40)
    flagged = ReferralFactory(
        patient=PatientFactory(network=network),
        service="social_services",
        source_organisation=OrganisationFactory(kind=Organisation.Kind.NHS_TRUST),
        source_contact="Ward 7",
    )
    for code in ("no_heating", "medicines_stockpile"):
        PatientFlagFactory(
            patient=flagged.patient, referral=flagged, flag=RedFlag.objects.get(code=code)
        )
    declined = age(ReferralFactory(patient=person, service="pic", declined=True), days=3)
    age(ReferralFactory(patient=person, service="gp", accepted=True), days=9)
    PatientFlag.objects.filter(referral=flagged, flag__code="no_heating").update(
        raised_at=timezone.now() - datetime.timedelta(hours=1)
    )
    client = api(chair)
    rows = client.get(URL).json()["results"]
    assert len(rows) == 4
    for row in rows:
        detail = client.get(f"{URL}{row['id']}/").json()
        assert list(row.items()) == list(detail.items())
    by_id = {r["id"]: r for r in rows}
    assert by_id[flagged.pk]["flags"] == ["medicines_stockpile", "no_heating"]
    assert by_id[plain.pk]["flags"] == [] and by_id[plain.pk]["waited_working_days"] > 20
    # The PIC sees the referrals to the PIC service (and the ones they made) only.
    pic_rows = api(member("pic")).get(URL).json()["results"]
    assert [r["id"] for r in pic_rows] == [declined.pk]
    events = AccessEvent.objects.filter(what="referral_list")
    assert sorted(events.values_list("patient_id", flat=True)) == sorted(
        [person.pk, flagged.patient_id, person.pk, person.pk, person.pk]
    )
