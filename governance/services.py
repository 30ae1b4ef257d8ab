"""Writes of information governance: answering a subject access request (recorded twice:
a request row, and the access trail) and erasing a person past retention."""

from dataclasses import dataclass

import pghistory.trigger
import pgtrigger
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Model
from pgtrigger import registry

from audit.models import AccessEvent
from audit.services import access_record, access_refused
from core import nhs_number as nhs
from core.errors import Conflict
from core.typing import User
from networks.models import Network
from networks.selectors import role_in
from patients.models import Patient

from .hashing import nhs_number_hash
from .models import Erasure, SubjectAccessRequest
from .selectors import erasure_of, person_by_nhs_number, retention_due
from .walk import person_tables, rows_about

WHAT_SAR = "subject_access"
WHAT_ERASURE = "erasure"


@dataclass(frozen=True)
class SubjectAccessAnswer:
    request: SubjectAccessRequest
    patient: Patient | None
    erasure: Erasure | None  # when no one is held but someone with that number was erased

    def not_held_message(self) -> str:
        network = self.request.network.name
        message = "No one with that NHS number in " + network + "."
        if self.erasure is not None:
            message += f" Their record was erased on {self.erasure.erased_at:%-d %B %Y}."
        return message


def _one_line(value: str, field: str, what: str) -> str:
    text = (value or "").strip()
    if not text:
        raise ValidationError({field: [f"Give {what}."]})
    if "\n" in text or "\r" in text:
        raise ValidationError({field: ["One line only."]})
    return text


def subject_access_request_answer(
    *, network: Network, nhs_number: str, reference: str, channel: str, by: User, path: str = ""
) -> SubjectAccessAnswer:
    """Record a subject access request and find the person. Both the request row and the
    access trail record it, whether or not anyone is held: a request about someone ICN does
    not hold is a `not_found` look in the trail, naming the request (never the number)."""
    errors: dict[str, list[str]] = {}
    try:
        digits = nhs.validate(nhs_number or "")
    except ValidationError as exc:
        errors["nhs_number"] = exc.messages
    try:
        reference = _one_line(
            reference, "reference", "the request's reference (e.g. the letter's date)"
        )
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if len(reference) > 200:
        errors["reference"] = ["At most 200 characters."]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        patient = person_by_nhs_number(network, digits)
        request = SubjectAccessRequest.objects.create(
            requested_by=by,
            network=network,
            patient=patient,
            nhs_number_hash=nhs_number_hash(digits),
            reference=reference,
            channel=channel,
        )
        if patient is None:
            access_refused(
                user=by,
                patient_ref=f"subject access {request.pk}",
                what=WHAT_SAR,
                channel=channel,
                outcome=AccessEvent.Outcome.NOT_FOUND,
                path=path,
            )
            return SubjectAccessAnswer(request, None, erasure_of(network, digits))
        access_record(user=by, patients=[patient], what=WHAT_SAR, channel=channel, path=path)
    return SubjectAccessAnswer(request, patient, None)


def _erasure_triggers() -> list[str]:
    """The triggers the erasure must pass: the append-only protection of the tables about
    the person (the access trail's, and any later one's, e.g. break-glass grants), and
    django-pghistory's, which would copy each deleted row into a new history row. The
    tombstone's own protection (`Erasure`, not about the person) stays on."""
    about = {holding.model for holding in person_tables()}
    return sorted(
        f"{model._meta.label}:{trigger.name}"
        for model, trigger in registry.registered()
        if isinstance(trigger, pghistory.trigger.Event)
        or (model in about and isinstance(trigger, pgtrigger.Protect))
    )


def patient_erase(*, patient: Patient, reason: str, by: User, path: str = "") -> Erasure:
    """Erase a person past retention: every row about them in every table the walk finds
    (governance.walk: the record, everything hanging off it, the history tables' copies,
    their notifications, the access trail's events about them and subject access requests),
    in one transaction, and a tombstone in their place (`Erasure`, and an `erasure` event in
    the trail with no person): who, when, why, the network, a keyed hash of the NHS number.

    The access trail is append-only by a database trigger; this is the one service that
    deletes from it, by `pgtrigger.ignore` of exactly that trigger (and pghistory's) for
    exactly these statements: UK GDPR's right to erasure and the records management code's
    disposal reach the trail's rows about the person too, and the tombstone keeps the fact
    that they were removed, by whom and why."""
    reason = _one_line(reason, "reason", "the reason for erasing this record")
    with transaction.atomic():
        locked = Patient.objects.select_for_update().get(pk=patient.pk)
        if not retention_due(locked.network).filter(pk=locked.pk).exists():
            raise Conflict("This person is not due for review under the retention rule.")
        found = {
            model: list(qs.values_list("pk", flat=True))
            for model, qs in rows_about(locked.pk).items()
        }
        # Refused or searching looks that name them by NHS number in the address asked for.
        named = AccessEvent.objects.filter(path__contains=locked.nhs_number).values_list(
            "pk", flat=True
        )
        found[AccessEvent] = sorted(set(found[AccessEvent]) | set(named))
        with pgtrigger.ignore(*_erasure_triggers()):
            for model, pks in found.items():
                _delete(model, pks)
        tombstone = Erasure.objects.create(
            erased_by=by,
            erased_by_username=by.get_username(),
            network=locked.network,
            reason=reason,
            nhs_number_hash=nhs_number_hash(locked.nhs_number),
            rows_removed={m._meta.label: len(p) for m, p in found.items() if p},
        )
        AccessEvent.objects.create(
            user_id=by.pk,
            username=by.get_username(),
            role=role_in(by, locked.network_id) or "",
            network_id=locked.network_id,
            patient_ref=f"erasure {tombstone.pk}",
            what=WHAT_ERASURE,
            channel="page",
            outcome=AccessEvent.Outcome.ALLOWED,
            path=path[:300],
        )
        # Foreign keys are checked at commit (deferred): check them now, inside the service,
        # so a row the walk missed fails the erasure here rather than at commit.
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    return tombstone


def _delete(model: type[Model], pks: list[object]) -> None:
    if not pks:
        return
    table = connection.ops.quote_name(model._meta.db_table)
    column = connection.ops.quote_name(model._meta.pk.column or "id")
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE {column} = ANY(%s)", [pks])  # noqa: S608
