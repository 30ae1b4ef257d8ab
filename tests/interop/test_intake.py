"""The referral intake: ``POST /fhir/R4/`` with a transaction Bundle of a UK Core Patient and
ServiceRequest (interop/intake.py, API.md 1.1 "FHIR R4"), tested with UK Core's own
published examples (tests/interop/examples/)."""

import re
import threading
import time
import xml.etree.ElementTree as ET
from collections import Counter
from datetime import date

import pytest
from django.db import connection, transaction

from audit.models import AccessEvent
from core.nhs_number import synthetic
from interop.registry import REGISTRY, ImportContext
from patients.models import Patient
from referrals.models import Referral
from tests.factories import MembershipFactory, OrganisationFactory, PatientFactory, UserFactory

from .intake_bundles import (
    EXAMPLE_NHS,
    EXAMPLES,
    ODS,
    PATIENT,
    REQUEST,
    another,
    bundle,
    example,
)

pytestmark = pytest.mark.django_db

URL = "/fhir/R4/"
IDENTIFIER = ("https://fhir.example-trust.nhs.uk/Id/referral", "REF-2021-0001")


@pytest.fixture
def partner(network):
    """A hospital trust's system account: a partner_system member of the network."""
    trust = OrganisationFactory(code="RR8", name="Leeds Teaching Hospitals", kind="nhs_trust")
    user = UserFactory(username="leeds-pas")
    MembershipFactory(user=user, network=network, role="partner_system", organisation=trust)
    return user


def saved():
    """What an intake may write: people, referrals, and the access trail."""
    return Patient.objects.count(), Referral.objects.count(), AccessEvent.objects.count()


def statuses(body):
    return [(e["response"]["status"], e["response"]["location"]) for e in body["entry"]]


# -- The examples as published -----------------------------------------------------------------

NS = "{http://hl7.org/fhir}"
DIV = "{http://www.w3.org/1999/xhtml}div"


def xml_leaves(path):
    """Every (element path, value) of a FHIR XML resource, list positions left out."""
    found = Counter()

    def walk(element, where):
        for child in element:
            if child.tag == DIV:
                found[(f"{where}.div", "".join(child.itertext()))] += 1
                continue
            here = f"{where}.{child.tag.removeprefix(NS)}".lstrip(".")
            for attribute in ("url", "value"):
                if attribute in child.attrib:
                    suffix = ".url" if attribute == "url" else ""
                    found[(here + suffix, child.attrib[attribute])] += 1
            walk(child, here)

    walk(ET.parse(path).getroot(), "")
    return found


def json_leaves(resource):
    found = Counter()

    def walk(value, where):
        if isinstance(value, dict):
            for key, item in value.items():
                if key != "resourceType":
                    walk(item, f"{where}.{key}".lstrip("."))
        elif isinstance(value, list):
            for item in value:
                walk(item, where)
        elif where.endswith(".div"):
            found[(where, re.sub(r"<[^>]+>", "", value))] += 1
        else:
            found[(where, str(value).lower() if isinstance(value, bool) else str(value))] += 1

    walk(resource, "")
    return found


@pytest.mark.parametrize(
    ("name", "removed", "added"),
    [
        (
            PATIENT,
            {("identifier.value", "9912003888")},
            {("identifier.value", EXAMPLE_NHS)},
        ),
        (
            REQUEST,
            set(),
            {
                ("identifier.system", IDENTIFIER[0]),
                ("identifier.value", IDENTIFIER[1]),
                ("code.coding.system", "urn:icn:service"),
                ("code.coding.code", "gp"),
                ("code.coding.display", "GP"),
            },
        ),
    ],
)
def test_the_examples_are_uk_cores_adapted_only_where_icn_must(name, removed, added):
    published = xml_leaves(EXAMPLES / f"{name}.xml")
    ours = json_leaves(example(name))
    assert set(published - ours) == removed
    assert set(ours - published) == added


# -- A new person ------------------------------------------------------------------------------


def test_the_uk_core_examples_refer_a_new_person(fhir, partner, network):
    status, body = fhir(partner).post(URL, bundle())
    assert status == 200, body
    assert body["resourceType"] == "Bundle" and body["type"] == "transaction-response"
    person = Patient.objects.get(nhs_number=EXAMPLE_NHS)
    referral = Referral.objects.get(patient=person)
    assert statuses(body) == [
        ("201 Created", f"Patient/{person.pk}"),
        ("201 Created", f"ServiceRequest/{referral.pk}"),
    ]
    assert person.network == network
    assert (person.given_name, person.family_name) == ("Richard", "SMITH")
    assert person.date_of_birth == date(1970, 9, 11)
    assert person.phone == "01131231234"
    assert (person.address, person.postcode) == ("4 Sandmoor Drive\nLEEDS", "LS17 7DF")
    assert person.created_by == partner and person.gp_practice is None
    assert (referral.service, referral.urgency, referral.status) == ("gp", "routine", "new")
    assert referral.reason == "Swollen abdomen"
    assert (referral.external_system, referral.external_id) == IDENTIFIER
    assert referral.referred_by == partner
    assert referral.source_organisation.code == "RR8"  # the partner's own organisation
    event = AccessEvent.objects.get(patient=person)
    assert (event.what, event.channel, event.user, event.outcome) == (
        "fhir_intake",
        "api",
        partner,
        "allowed",
    )


def test_the_same_bundle_again_creates_nothing_new(fhir, partner):
    _status, first = fhir(partner).post(URL, bundle())
    people, referrals, events = saved()
    status, again = fhir(partner).post(URL, bundle())
    assert status == 200
    assert [s for s, _ in statuses(again)] == ["200 OK", "200 OK"]
    assert [loc for _, loc in statuses(again)] == [loc for _, loc in statuses(first)]
    assert saved() == (people, referrals, events + 1)  # the repeat is on the trail too


def test_an_existing_person_is_matched_by_nhs_number_and_kept_as_recorded(fhir, partner, network):
    person = PatientFactory(
        network=network,
        nhs_number=EXAMPLE_NHS,
        date_of_birth=date(1970, 9, 11),
        given_name="Dick",
        family_name="Smith",
    )
    status, body = fhir(partner).post(URL, bundle())
    assert status == 200, body
    referral = Referral.objects.get(patient=person)
    assert statuses(body) == [
        ("200 OK", f"Patient/{person.pk}"),
        ("201 Created", f"ServiceRequest/{referral.pk}"),
    ]
    person.refresh_from_db()
    assert person.given_name == "Dick"  # ICN's record is not overwritten by the Bundle
    assert Patient.objects.count() == 1


def test_another_birth_date_for_the_nhs_number_is_422_and_nothing_saved(fhir, partner, network):
    PatientFactory(network=network, nhs_number=EXAMPLE_NHS, date_of_birth=date(1971, 9, 11))
    before = saved()
    status, body = fhir(partner).post(URL, bundle())
    assert status == 422
    assert body["issue"][0]["code"] == "processing"
    assert body["issue"][0]["expression"] == ["Bundle.entry[0].resource.birthDate"]
    assert "1971" not in body["issue"][0]["diagnostics"]  # ICN's record is not told
    assert saved() == before


def test_a_person_of_another_network_is_not_matched(fhir, partner, other_network):
    elsewhere = PatientFactory(network=other_network, nhs_number=EXAMPLE_NHS)
    status, body = fhir(partner).post(URL, bundle())
    assert status == 200
    assert statuses(body)[0][0] == "201 Created"
    assert Patient.objects.get(nhs_number=EXAMPLE_NHS, network=partner.memberships.get().network)
    assert not Referral.objects.filter(patient=elsewhere).exists()


def test_the_gp_practice_is_found_by_ods_code_in_the_network(fhir, partner, network):
    practice = OrganisationFactory(code="B86001", name="Moortown Surgery", kind="gp_practice")
    network.gp_practices.add(practice)
    patient = example(PATIENT)
    patient["generalPractitioner"] = [
        {"reference": "Practitioner/G8133438", "display": "Dr Jones"},
        {"type": "Organization", "identifier": {"system": ODS, "value": "b86001"}},
    ]
    status, body = fhir(partner).post(URL, bundle(patient=patient))
    assert status == 200, body
    assert Patient.objects.get(nhs_number=EXAMPLE_NHS).gp_practice == practice


def test_a_gp_practice_outside_the_network_is_422_naming_the_code(fhir, partner):
    OrganisationFactory(code="Y99999", kind="gp_practice")  # known to ICN, not this network's
    patient = example(PATIENT)
    patient["generalPractitioner"] = [{"identifier": {"system": ODS, "value": "Y99999"}}]
    before = saved()
    status, body = fhir(partner).post(URL, bundle(patient=patient))
    assert status == 422
    issue = body["issue"][0]
    assert "Y99999" in issue["diagnostics"]
    assert issue["expression"] == [
        "Bundle.entry[0].resource.generalPractitioner[0].identifier.value"
    ]
    assert saved() == before


def test_several_names_and_telecoms_as_a_real_system_sends_them(fhir, partner):
    patient = example(PATIENT)
    patient["name"] = [
        {"use": "usual", "family": "Smith", "given": ["Dick"]},
        {"use": "official", "family": "SMITH", "given": ["Richard", "John"]},
        {"use": "maiden", "family": "Jones"},
    ]
    patient["telecom"] = [
        {"system": "email", "value": "richard@example.com"},
        {"system": "phone", "value": "0113 000 0001", "use": "work"},
        {"system": "phone", "value": "07700 900123", "use": "mobile"},
    ]
    patient["address"] = [
        {"use": "old", "line": ["1 Old Road"], "postalCode": "LS1 1AA"},
        {"use": "home", "line": ["4 Sandmoor Drive", "Alwoodley"], "city": "LEEDS"},
    ]
    status, _body = fhir(partner).post(URL, bundle(patient=patient))
    assert status == 200
    person = Patient.objects.get(nhs_number=EXAMPLE_NHS)
    assert (person.given_name, person.family_name) == ("Richard John", "SMITH")
    assert person.phone == "07700 900123"
    assert (person.address, person.postcode) == ("4 Sandmoor Drive\nAlwoodley\nLEEDS", "")


def test_a_usual_name_serves_when_there_is_no_official_one(fhir, partner):
    patient = example(PATIENT)
    patient["name"] = [{"family": "Nameless"}, {"use": "usual", "family": "Smith", "given": ["R"]}]
    assert fhir(partner).post(URL, bundle(patient=patient))[0] == 200
    assert Patient.objects.get(nhs_number=EXAMPLE_NHS).given_name == "R"


@pytest.mark.parametrize(
    ("priority", "urgency"),
    [
        (None, "routine"),
        ("routine", "routine"),
        ("urgent", "urgent"),
        ("asap", "urgent"),
        ("stat", "urgent"),
    ],
)
def test_priority(fhir, partner, priority, urgency):
    request = example(REQUEST)
    if priority:
        request["priority"] = priority
    assert fhir(partner).post(URL, bundle(request=request))[0] == 200
    assert Referral.objects.get().urgency == urgency


def test_the_reason_from_coded_reasons_and_notes(fhir, partner):
    request = example(REQUEST)
    request["reasonCode"] = [
        {
            "coding": [
                {
                    "system": "http://snomed.info/sct",
                    "code": "11092001",
                    "display": "Sinus tachycardia",
                }
            ]
        }
    ]
    request["note"] = [{"text": "Lives alone; falls twice this month."}]
    assert fhir(partner).post(URL, bundle(request=request))[0] == 200
    assert (
        Referral.objects.get().reason == "Sinus tachycardia\nLives alone; falls twice this month."
    )


def test_a_urn_uuid_full_url_as_the_subject(fhir, partner):
    sent = bundle()
    sent["entry"][0]["fullUrl"] = "urn:uuid:2f7d3b1e-4a6c-4f55-9c1e-6a9b8e7d1c01"
    sent["entry"][1]["fullUrl"] = "urn:uuid:8c0e5a2d-1b3f-4e6a-a7d9-0f1e2d3c4b5a"
    sent["entry"][1]["resource"]["subject"] = {"reference": sent["entry"][0]["fullUrl"]}
    sent["entry"][0]["request"]["ifNoneExist"] = f"identifier={EXAMPLE_NHS}"
    assert fhir(partner).post(URL, sent)[0] == 200


# -- Bad input: an OperationOutcome naming where, nothing saved --------------------------------


def _entry(i):
    return lambda b: b["entry"][i]


def _set(getter, key, value):
    def change(b):
        getter(b)[key] = value

    return change


def _drop(getter, key):
    def change(b):
        getter(b).pop(key)

    return change


P = lambda b: b["entry"][0]["resource"]  # noqa: E731
S = lambda b: b["entry"][1]["resource"]  # noqa: E731


def _two_patients(b):
    b["entry"][1] = b["entry"][0]


def _three(b):
    b["entry"].append(b["entry"][1])


def _not_a_bundle(b):
    b.clear()
    b.update(example(PATIENT))


def _observation(b):
    b["entry"][1]["resource"] = {"resourceType": "Observation"}


BAD = [
    ("not a bundle", _not_a_bundle, 400, "Bundle"),
    ("a batch", _set(lambda b: b, "type", "batch"), 400, "Bundle.type"),
    ("no entries", _set(lambda b: b, "entry", []), 400, "Bundle.entry"),
    ("an observation", _observation, 400, "Bundle.entry[1].resource.resourceType"),
    ("two patients", _two_patients, 400, "Bundle.entry"),
    ("three entries", _three, 400, "Bundle.entry"),
    (
        "malformed date",
        _set(P, "birthDate", "11/09/1970"),
        400,
        "Bundle.entry[0].resource.birthDate",
    ),
    ("a year of birth", _set(P, "birthDate", "1970"), 400, "Bundle.entry[0].resource.birthDate"),
    (
        "born tomorrow",
        _set(P, "birthDate", "2999-01-01"),
        400,
        "Bundle.entry[0].resource.birthDate",
    ),
    ("unknown element", _set(S, "colour", "blue"), 400, "Bundle.entry[1].resource.colour"),
    (
        "malformed reference",
        _set(S, "subject", {"reference": 5}),
        400,
        "Bundle.entry[1].resource.subject.reference",
    ),
    (
        "subject elsewhere",
        _set(S, "subject", {"reference": "Patient/someone-else"}),
        400,
        "Bundle.entry[1].resource.subject",
    ),
    ("no fullUrl", _drop(_entry(0), "fullUrl"), 400, "Bundle.entry[0].fullUrl"),
    ("no request", _drop(_entry(1), "request"), 400, "Bundle.entry[1].request"),
    (
        "a PUT",
        _set(_entry(1), "request", {"method": "PUT", "url": "ServiceRequest/1"}),
        400,
        "Bundle.entry[1].request.method",
    ),
    (
        "a url of another type",
        _set(_entry(0), "request", {"method": "POST", "url": "Practitioner"}),
        400,
        "Bundle.entry[0].request.url",
    ),
    ("no identifier", _drop(S, "identifier"), 400, "Bundle.entry[1].resource.identifier"),
    ("a draft", _set(S, "status", "draft"), 400, "Bundle.entry[1].resource.status"),
    (
        "no ICN service",
        _set(S, "code", {"text": "Colonoscopy"}),
        400,
        "Bundle.entry[1].resource.code",
    ),
    (
        "an unknown service",
        lambda b: S(b)["code"]["coding"][1].update(code="dentistry"),
        400,
        "Bundle.entry[1].resource.code.coding[1].code",
    ),
    ("no reason", _drop(S, "reasonCode"), 400, "Bundle.entry[1].resource.reasonCode"),
    ("a priority", _set(S, "priority", "whenever"), 400, "Bundle.entry[1].resource.priority"),
    (
        "a reason too long",
        _set(S, "note", [{"text": "x" * 4001}]),
        400,
        "Bundle.entry[1].resource.reasonCode",
    ),
    (
        "no NHS number",
        lambda b: P(b)["identifier"][0].update(system="https://fhir.leedsth.nhs.uk/Id/mrn"),
        400,
        "Bundle.entry[0].resource.identifier",
    ),
    (
        "an NHS number failing its check digit",
        lambda b: P(b)["identifier"][0].update(value=EXAMPLE_NHS[:9] + "9"),
        400,
        "Bundle.entry[0].resource.identifier[0].value",
    ),
    ("no name", _drop(P, "name"), 400, "Bundle.entry[0].resource.name"),
    (
        "no family name",
        _set(P, "name", [{"use": "official", "given": ["Richard"]}]),
        400,
        "Bundle.entry[0].resource.name[0].family",
    ),
    (
        "a family name too long",
        _set(P, "name", [{"family": "S" * 101, "given": ["Richard"]}]),
        400,
        "Bundle.entry[0].resource.name.family",
    ),
]


@pytest.mark.parametrize(("case", "change", "status", "where"), BAD, ids=[b[0] for b in BAD])
def test_bad_input_is_an_outcome_naming_where_and_nothing_is_saved(
    fhir, partner, case, change, status, where
):
    sent = bundle()
    change(sent)
    before = saved()
    answer, body = fhir(partner).post(URL, sent)
    assert answer == status, body
    assert body["resourceType"] == "OperationOutcome"
    assert where in body["issue"][0].get("expression", []), body
    assert saved() == before


def test_a_pic_referral_without_consent_to_share_is_422_and_nothing_saved(fhir, partner):
    before = saved()
    status, body = fhir(partner).post(URL, another(7001, service="pic"))
    assert status == 422
    assert "consent" in body["issue"][0]["diagnostics"]
    assert body["issue"][0]["expression"] == ["Bundle.entry[1].resource.code"]
    assert saved() == before


def test_a_pic_referral_for_a_person_with_consent_is_made(fhir, partner, network):
    PatientFactory(network=network, nhs_number=EXAMPLE_NHS, date_of_birth=date(1970, 9, 11))
    sent = bundle()
    sent["entry"][1]["resource"]["code"]["coding"][1]["code"] = "pic"
    assert fhir(partner).post(URL, sent)[0] == 200
    assert Referral.objects.get().service == "pic"


def test_an_open_referral_to_the_service_is_409_and_nothing_saved(fhir, partner, network, member):
    from referrals.services import referral_create

    person = PatientFactory(
        network=network, nhs_number=EXAMPLE_NHS, date_of_birth=date(1970, 9, 11)
    )
    referral_create(patient=person, service="gp", reason="Review", by=member("chair"))
    before = saved()
    status, body = fhir(partner).post(URL, bundle())
    assert status == 409
    assert body["issue"][0]["code"] == "conflict"
    assert body["issue"][0]["expression"] == ["Bundle.entry[1].resource.code"]
    assert saved() == before


def test_the_same_identifier_for_another_person_is_409(fhir, partner):
    fhir(partner).post(URL, bundle())
    sent = another(7002)
    sent["entry"][1]["resource"]["identifier"][0]["value"] = IDENTIFIER[1]
    before = saved()
    status, body = fhir(partner).post(URL, sent)
    assert status == 409
    assert body["issue"][0]["expression"] == ["Bundle.entry[1].resource.identifier"]
    assert saved() == before


# -- Which network -----------------------------------------------------------------------------


def test_a_member_of_several_networks_names_one(fhir, partner, network, other_network):
    MembershipFactory(user=partner, network=other_network, role="partner_system")
    before = saved()
    status, body = fhir(partner).post(URL, bundle())
    assert status == 400
    issue = body["issue"][0]
    assert issue["expression"] == ["network"] and "?network=" in issue["diagnostics"]
    assert "purbeck" in issue["diagnostics"] and "thornton-heath" in issue["diagnostics"]
    assert saved() == before
    status, body = fhir(partner).post(f"{URL}?network=purbeck", bundle())
    assert status == 200
    assert Patient.objects.get(nhs_number=EXAMPLE_NHS).network == other_network
    status, body = fhir(partner).post(f"{URL}?network=nowhere", another(7003))
    assert status == 400 and body["issue"][0]["expression"] == ["network"]


def test_a_network_where_the_role_may_not_refer_is_403(fhir, partner, other_network):
    MembershipFactory(user=partner, network=other_network, role="manager")
    assert fhir(partner).post(f"{URL}?network=purbeck", bundle())[0] == 403
    # Only one network where it may refer: that one, without ?network=.
    assert fhir(partner).post(URL, bundle())[0] == 200


def test_no_token_is_401(fhir):
    assert fhir().post(URL, bundle())[0] == 401


# -- Cost and races ----------------------------------------------------------------------------


def test_an_intakes_queries_do_not_grow_with_the_network(
    fhir, partner, network, django_assert_max_num_queries
):
    client = fhir(partner)
    PatientFactory.create_batch(2, network=network)
    with django_assert_max_num_queries(45) as few:
        assert client.post(URL, another(7101))[0] == 200
    PatientFactory.create_batch(20, network=network)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.post(URL, another(7102))[0] == 200


def test_from_fhir_creates_the_person_for_a_transfer(network, member):
    chair = member("chair")
    ctx = ImportContext(network=network, by=chair)
    person = REGISTRY["Patient"].from_fhir(example(PATIENT), ctx)
    assert ctx.patient == person and person.pk
    assert (person.nhs_number, person.family_name, person.network) == (
        EXAMPLE_NHS,
        "SMITH",
        network,
    )


def _waiting():
    """How many sessions wait for a lock (pg_locks: pg_stat_activity would be read once per
    transaction). The first intake waits for this test's lock, the second for the first."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(DISTINCT pid) FROM pg_locks WHERE NOT granted")
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_the_same_bundle_twice_at_once_makes_one_referral_and_the_same_answer(
    fhir, partner, network
):
    """Both requests find no referral with the identifier, then wait (a referral to the PIC
    reads consent to share under a lock on the person's row, held here); released, one
    inserts, and the other's insert meets the unique index: it answers as a repeat."""
    person = PatientFactory(
        network=network, nhs_number=EXAMPLE_NHS, date_of_birth=date(1970, 9, 11)
    )
    sent = bundle()
    sent["entry"][1]["resource"]["code"]["coding"][1]["code"] = "pic"
    answers = []

    def post():
        try:
            answers.append(fhir(partner).post(URL, sent))
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(2)]
    with transaction.atomic():
        Patient.objects.select_for_update().get(pk=person.pk)
        for t in threads:
            t.start()
        deadline = time.monotonic() + 30
        while _waiting() < 2:
            assert time.monotonic() < deadline, "the two intakes never reached the lock"
            time.sleep(0.02)
    for t in threads:
        t.join(timeout=30)
    referral = Referral.objects.get()
    assert sorted(status for status, _ in answers) == [200, 200]
    assert sorted(statuses(body)[1] for _, body in answers) == [
        ("200 OK", f"ServiceRequest/{referral.pk}"),
        ("201 Created", f"ServiceRequest/{referral.pk}"),
    ]


def test_the_answer_follows_the_bundles_order(fhir, partner):
    sent = bundle()
    sent["entry"].reverse()
    status, body = fhir(partner).post(URL, sent)
    assert status == 200, body
    locations = [loc.split("/")[0] for _, loc in statuses(body)]
    assert locations == ["ServiceRequest", "Patient"]


def test_a_body_that_is_not_json_is_400_as_an_outcome(api, partner):
    before = saved()
    response = api(partner).post(URL, "{not json", content_type="application/fhir+json")
    assert response.status_code == 400
    assert response.json()["resourceType"] == "OperationOutcome"
    assert saved() == before


@pytest.mark.django_db(transaction=True)
def test_two_referrals_of_the_same_new_person_at_once_record_them_once(fhir, partner, network):
    """Two Bundles (two identifiers, two services) for a person ICN does not hold: both find
    no one, then both inserts of the person wait on the NHS number's unique index (held
    here by an uncommitted row, then rolled back); one records the person, the other meets
    the index, matches them and makes its own referral."""
    first, second = another(7201, "gp"), another(7201, "pic")
    second["entry"][1]["resource"]["identifier"][0]["value"] = "REF-7201-b"
    # The PIC needs consent to share, which a new person has not given: a service that does not.
    second["entry"][1]["resource"]["code"]["coding"][1]["code"] = "community_nursing"
    answers = []

    def post(sent):
        try:
            answers.append(fhir(partner).post(URL, sent))
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(sent,)) for sent in (first, second)]
    with transaction.atomic():
        PatientFactory(network=network, nhs_number=synthetic(7201))
        for t in threads:
            t.start()
        deadline = time.monotonic() + 30
        while _waiting() < 2:
            assert time.monotonic() < deadline, "the two intakes never reached the index"
            time.sleep(0.02)
        transaction.set_rollback(True)
    for t in threads:
        t.join(timeout=30)
    person = Patient.objects.get(nhs_number=synthetic(7201))
    assert sorted(status for status, _ in answers) == [200, 200], answers
    assert sorted(statuses(body)[0][0] for _, body in answers) == ["200 OK", "201 Created"]
    assert sorted(Referral.objects.filter(patient=person).values_list("service", flat=True)) == [
        "community_nursing",
        "gp",
    ]
