"""Meta-test: every FHIR resource type ICN registers writes an access event for a read and
for a search, and answers a role that may not read it as the REST API does."""

import pytest

from audit.models import AccessEvent
from interop.registry import REGISTRY
from networks.roles import CLINICAL_ROLES, Role

from .world import MAKERS

pytestmark = pytest.mark.django_db

TYPES = sorted(REGISTRY)


def test_every_registered_type_has_an_example():
    assert sorted(set(REGISTRY) - set(MAKERS)) == []
    assert sorted(set(MAKERS) - set(REGISTRY)) == []


@pytest.mark.parametrize("kind", TYPES)
def test_read_and_search_write_access_events(fhir, member, patient, everyone_involved, kind):
    chair = member("chair")
    id_ = MAKERS[kind](patient, member)
    status, body = fhir(chair).get(f"/fhir/R4/{kind}/{id_}")
    assert status == 200, body
    assert body["id"] == id_
    events = AccessEvent.objects.filter(user=chair, patient=patient, outcome="allowed")
    assert events.filter(what=f"fhir_{kind.lower()}").count() == 1
    query = f"identifier={patient.nhs_number}" if kind == "Patient" else f"patient={patient.pk}"
    status, body = fhir(chair).get(f"/fhir/R4/{kind}?{query}")
    assert status == 200 and id_ in {e["resource"]["id"] for e in body["entry"]}
    assert events.filter(what=f"fhir_{kind.lower()}_search").count() == 1


@pytest.mark.parametrize("kind", [k for k in TYPES if REGISTRY[k].clinical])
def test_clinical_types_are_closed_to_the_pic(fhir, member, patient, everyone_involved, kind):
    id_ = MAKERS[kind](patient, member)
    pic = member("pic")
    assert fhir(pic).get(f"/fhir/R4/{kind}/{id_}")[0] == 403
    assert fhir(pic).get(f"/fhir/R4/{kind}?patient={patient.pk}")[0] == 403


@pytest.mark.parametrize("kind", [k for k in TYPES if REGISTRY[k].clinical])
def test_clinical_types_need_involvement(fhir, member, patient, kind):
    """A clinical member not involved in the person's care: 403 naming the glass on a read,
    nothing on a search (network setting on: the default)."""
    id_ = MAKERS[kind](patient, member)
    outsider = member("physiotherapist")
    status, body = fhir(outsider).get(f"/fhir/R4/{kind}/{id_}")
    assert status == 403 and "break" in body["issue"][0]["diagnostics"].lower()
    status, body = fhir(outsider).get(f"/fhir/R4/{kind}?patient={patient.pk}")
    assert status == 200 and body.get("entry", []) == []


ROLES = [r.value for r in Role]


@pytest.mark.parametrize("role", ROLES)
def test_clinical_types_by_role(fhir, member, patient, everyone_involved, role):
    """Every role against every clinical type: the clinical roles read them (their network
    opening everyone to its clinical members here), every other role gets 403, and a
    clinical member of another network 404."""
    clinical = sorted(k for k in TYPES if REGISTRY[k].clinical)
    ids = {kind: MAKERS[kind](patient, member) for kind in clinical}
    client = fhir(member(role))
    expected = 200 if role in CLINICAL_ROLES else 403
    for kind, id_ in ids.items():
        assert client.get(f"/fhir/R4/{kind}/{id_}")[0] == expected, kind
        assert client.get(f"/fhir/R4/{kind}?patient={patient.pk}")[0] == expected, kind
    status, body = client.get(f"/fhir/R4/Patient/{patient.pk}/$everything")
    if status == 200:
        kinds = {e["resource"]["resourceType"] for e in body["entry"]}
        assert bool(kinds & set(clinical)) == (role in CLINICAL_ROLES)


def test_clinical_types_of_another_network_are_404(fhir, member, patient, other_network):
    stranger = member("gp", net=other_network, username="gp.elsewhere")
    for kind in sorted(k for k in TYPES if REGISTRY[k].clinical):
        id_ = MAKERS[kind](patient, member)
        assert fhir(stranger).get(f"/fhir/R4/{kind}/{id_}")[0] == 404, kind
