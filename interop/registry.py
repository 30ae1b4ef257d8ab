"""The resource types ICN serves over FHIR, one module each under ``interop/resources/``.

A resource type says which of its rows a user may see (the REST API's own selector, so the
access rules are the same), how a page of rows becomes UK Core resources (in a fixed number
of queries whatever the number of rows), which search parameters it takes, and, where a
record can be brought in from another system, how a resource becomes rows again.

The views (interop/views.py), the CapabilityStatement and ``Patient/{id}/$everything`` are all
built from this registry, so a new resource type is one module and one ``register()``.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from fhir.resources.R4B.resource import Resource

from core.typing import User

from .codes import profile as uk_core_profile


@dataclass
class Context:
    """What a conversion needs beyond the rows: who is asking (for sealing restricted
    entries and choosing clinical detail) and the server's base URL (for ``fullUrl``)."""

    user: User
    base: str  # e.g. "https://icn.example/fhir/R4"

    def full_url(self, resource_type: str, id_: object) -> str:
        return f"{self.base}/{resource_type}/{id_}"


@dataclass
class ImportContext:
    """Bringing one person's record in from a Bundle (interop/transfer.py): the network it
    joins, who brings it (the author of every row created, as the source's authors are not
    members here), the person created, and every row created so far by the resource's
    reference in the Bundle ("Encounter/5" -> the new Visit), so a later resource finds the
    row its reference names. Rows are created as the resource says (statuses and dates
    kept), with no notifications, tasks or referrals raised: history comes in, nothing new
    happens."""

    network: Any
    by: User
    patient: Any = None
    refs: dict[str, Any] = field(default_factory=dict)

    def row(self, reference: str | None) -> Any:
        """The row created for a reference in the Bundle (None when it was not brought)."""
        return self.refs.get(reference or "")


def reference(resource_type: str, id_: object, display: str | None = None) -> dict[str, str]:
    """A literal reference to another ICN resource, relative to the base (``Patient/12``)."""
    ref = {"reference": f"{resource_type}/{id_}"}
    if display:
        ref["display"] = display
    return ref


Filter = Callable[[QuerySet[Any], str], QuerySet[Any]]


class SearchError(ValueError):
    """A search parameter's value ICN cannot use: 400 with an OperationOutcome."""


@dataclass
class ResourceType:
    name: str  # the FHIR resource type, e.g. "Flag"
    profile: str  # the UK Core profile every resource of this type names in meta.profile
    # The rows of the user's networks that the user may see, as the REST API decides (its
    # selector, role filtering and, for clinical detail, involvement in the person's care).
    rows: Callable[[User], QuerySet[Any]]
    # A page of rows as resources (several per row where one row holds several, e.g. a
    # visit's observations), in a fixed number of queries for the page.
    to_fhir: Callable[[Sequence[Any], Context], list[Resource]]
    # True: clinical detail. A role that reads no clinical detail (the PIC, a manager) gets
    # none of these (403 on search and read; left out of $everything), and a member not
    # involved in the person's care gets 403 on read, naming how to break the glass.
    clinical: bool = True
    # The path from a row to its person, for ?patient=, $everything and the access trail.
    patient_path: str = "patient"
    # Search parameters beyond `patient`, `_count` and `_page`: name -> filter.
    search: Mapping[str, Filter] = field(default_factory=dict)
    # The model's primary key from a resource id ("12", or "12-bp" for an observation of
    # visit 12); None when the id cannot be ICN's (404).
    row_id: Callable[[str], int | None] = lambda id_: int(id_) if id_.isdigit() else None
    # Bringing a record in (interop/transfer.py): ``from_fhir(resource: dict, ctx:
    # ImportContext) -> row`` creates the row a resource of this type came from (the
    # resource as JSON, already parsed by its fhir.resources model); types in `order`.
    from_fhir: Callable[[dict[str, Any], ImportContext], Any] | None = None
    # False where one row gives several resources (a visit's observations): a searchset
    # Bundle then gives no `total` (it would count rows, not resources).
    counts_rows: bool = True
    # Where this type comes in $everything and the CapabilityStatement.
    order: int = 100
    description: str = ""

    @property
    def trail_read(self) -> str:
        """The access trail's `what` for a read of one (``fhir_flag``)."""
        return f"fhir_{self.name.lower()}"

    @property
    def trail_search(self) -> str:
        return f"fhir_{self.name.lower()}_search"

    @property
    def patient_id_path(self) -> str:
        return "id" if self.name == "Patient" else f"{self.patient_path}_id"


REGISTRY: dict[str, ResourceType] = {}


def register(resource_type: ResourceType) -> ResourceType:
    if resource_type.name in REGISTRY:
        raise ValueError(f"FHIR resource type {resource_type.name} registered twice")
    REGISTRY[resource_type.name] = resource_type
    return resource_type


def resource_types() -> list[ResourceType]:
    return sorted(REGISTRY.values(), key=lambda r: (r.order, r.name))


def profile(name: str) -> str:
    return uk_core_profile(name)


def meta(profile_name: str) -> dict[str, list[str]]:
    """``meta`` naming one UK Core profile (each resource names its own)."""
    return {"profile": [uk_core_profile(profile_name)]}
