"""Round trip (issue #18): a person's `$everything`, brought into an empty network, gives the
same record back: the same resources with the same content, apart from the ids ICN gives
its own rows (and the references and identifiers that carry them)."""

import copy
import json

import pytest
from django.core.management import call_command

from audit.models import AccessEvent
from interop.registry import REGISTRY
from networks.models import Membership
from notifications.models import Notification
from patients.models import Patient
from tests.factories import MembershipFactory, NetworkFactory
from webhooks.models import Event, EventType
from webhooks.services import subscription_create

from .world import MAKERS

pytestmark = pytest.mark.django_db

# What may differ between the two records, each for a reason:
# - ids, fullUrls and references: ICN numbers its own rows;
# - identifiers in ICN's own systems (urn:icn:...) carry those numbers;
# - meta.lastUpdated: when the row was written here;
# - the managing organisation: the network that holds the record now.
ICN_SYSTEM = "urn:icn:"
LEFT_OUT = {"lastUpdated", "managingOrganization"}


def canonical(bundle: dict) -> list[dict]:
    """The resources of a searchset, each id replaced by its type and its place among that
    type's resources, and every reference to it likewise."""
    resources = [copy.deepcopy(e["resource"]) for e in bundle["entry"]]
    labels: dict[str, str] = {}
    seen: dict[str, int] = {}
    for r in resources:
        kind = r["resourceType"]
        seen[kind] = seen.get(kind, 0) + 1
        labels[f"{kind}/{r['id']}"] = f"{kind}#{seen[kind]}"

    def walk(value):
        if isinstance(value, dict):
            out = {}
            for key, item in value.items():
                if key == "reference" and isinstance(item, str):
                    out[key] = labels.get(item, item)
                elif key == "identifier":
                    kept = [
                        walk(i)
                        for i in (item if isinstance(item, list) else [item])
                        if not str(i.get("system", "")).startswith(ICN_SYSTEM)
                    ]
                    if kept:
                        out[key] = kept if isinstance(item, list) else kept[0]
                elif key in LEFT_OUT:
                    continue
                else:
                    out[key] = walk(item)
            return out
        if isinstance(value, list):
            return [walk(v) for v in value]
        return value

    found = []
    for r in resources:
        label = labels[f"{r['resourceType']}/{r['id']}"]
        r = walk(r)
        r["id"] = label
        found.append(r)
    return found


def test_everything_brought_into_an_empty_network_is_the_same_record(
    fhir, patient, member, tmp_path
):
    network = patient.network
    for make in MAKERS.values():
        make(patient, member)
    chair = member("chair")
    status, before = fhir(chair).get(f"/fhir/R4/Patient/{patient.pk}/$everything")
    assert status == 200
    kinds = {e["resource"]["resourceType"] for e in before["entry"]}
    assert kinds == set(REGISTRY), "the record should hold every resource type"

    # A network that holds no one yet, where the staff who worked with the person are
    # members too (a neighbouring network they also cover): the visitors, authors and care
    # team are named again; anyone who is not a member there would not be.
    empty = NetworkFactory(slug="croydon-north", name="Croydon North", vocabulary="icn")
    empty.involvement_required = False
    empty.save()
    for staff in Membership.objects.filter(network=network):
        MembershipFactory(user=staff.user, network=empty, role=staff.role)
    their_chair = type(chair).objects.get(pk=chair.pk)  # who chairs both (fresh memberships)
    # A partner listening to everything there hears nothing: history came in, nothing new.
    subscription_create(
        network=empty, url="http://127.0.0.1:9/hook", events=list(EventType), by=their_chair
    )
    file = tmp_path / "record.json"
    file.write_text(json.dumps(before))
    call_command("import_fhir_record", str(file), network=empty.slug, by=their_chair.username)
    moved = Patient.objects.get(network=empty)
    assert moved.nhs_number == patient.nhs_number and network != empty

    status, after = fhir(their_chair).get(f"/fhir/R4/Patient/{moved.pk}/$everything")
    assert status == 200
    assert canonical(after) == canonical(before)
    assert not Event.objects.filter(network=empty).exists()
    assert not Notification.objects.filter(created_at__gte=moved.created_at).exists()
    # Bringing it in was not a read by anyone; reading it back was.
    assert AccessEvent.objects.filter(user=their_chair, patient=moved).count() == 1


def test_a_person_the_network_holds_is_not_brought_in_twice(fhir, patient, member, tmp_path):
    chair = member("chair")
    _status, record = fhir(chair).get(f"/fhir/R4/Patient/{patient.pk}/$everything")
    file = tmp_path / "record.json"
    file.write_text(json.dumps(record))
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="already holds"):
        call_command(
            "import_fhir_record", str(file), network=patient.network.slug, by=chair.username
        )


@pytest.mark.parametrize(
    ("bundle", "says"),
    [
        ({"resourceType": "Patient"}, "must be a FHIR Bundle"),
        ({"resourceType": "Bundle", "type": "document", "entry": []}, "searchset or collection"),
        ({"resourceType": "Bundle", "type": "collection", "entry": []}, "exactly one Patient"),
        (
            {
                "resourceType": "Bundle",
                "type": "collection",
                "entry": [{"resource": {"resourceType": "Practitioner", "id": "1"}}],
            },
            "cannot bring in a Practitioner",
        ),
    ],
)
def test_a_bad_bundle_brings_nothing_in(member, network, tmp_path, bundle, says):
    from django.core.management.base import CommandError

    chair = member("chair")
    file = tmp_path / "record.json"
    file.write_text(json.dumps(bundle))
    count = Patient.objects.count()
    with pytest.raises(CommandError, match=says):
        call_command("import_fhir_record", str(file), network=network.slug, by=chair.username)
    assert Patient.objects.count() == count
