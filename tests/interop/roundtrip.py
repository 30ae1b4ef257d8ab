"""Round trips of one resource type: a row as a resource, the resource brought into another
network (the type's from_fhir), the new row as a resource again, and the two compared apart
from what names ICN rows (ids, references' ids, ICN's own record identifiers)."""

from interop.registry import REGISTRY, Context, ImportContext
from interop.rendering import as_json

ROW_IDENTIFIERS = {"urn:icn:referral", "urn:icn:task", "urn:icn:episode"}
BASE = "http://testserver/fhir/R4"


def resource_of(kind: str, row, user) -> dict:
    (resource,) = REGISTRY[kind].to_fhir([row], Context(user=user, base=BASE))
    return as_json(resource)


def bring_in(kind: str, resource: dict, *, network, by, patient):
    ctx = ImportContext(network=network, by=by, patient=patient)
    return REGISTRY[kind].from_fhir(resource, ctx)


def comparable(value):
    """The resource without ids, with references reduced to their type, and without the
    identifiers that name ICN rows."""
    if isinstance(value, dict):
        found = {}
        for key, item in value.items():
            if key == "id":
                continue
            if key == "reference":
                found[key] = item.split("/")[0]
                continue
            if key == "identifier" and isinstance(item, list):
                item = [i for i in item if i.get("system") not in ROW_IDENTIFIERS]
                if not item:
                    continue
            found[key] = comparable(item)
        return found
    if isinstance(value, list):
        return [comparable(item) for item in value]
    return value
