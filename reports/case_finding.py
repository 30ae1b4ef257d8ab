"""Case finding (issue #19): people in a network not on the MDT caseload, ranked by a score a
clinician can check. Each reason adds the points settings.CASE_FINDING_WEIGHTS gives it:

- frailty: moderate or severe (the person's level, which follows the latest eFI or CFS band);
- each emergency admission in the last ADMISSION_DAYS (reports.AdmissionEvent);
- MEDICINES or more active medicines (medicines.Medication not stopped);
- each active red flag (referrals.PatientFlag not resolved);
- a hospital admission of any kind in the last RECENT_DAYS: ICN holds admission dates, not
  discharge dates, so this stands for "recently out of hospital" and says "admitted".

Scored in SQL (one subquery per source, annotated on Patient), so a page of the list is one
query whatever its length; `reasons` builds the words from the annotated values alone.

Who is listed: only people whose clinical detail the caller reads (patients.involvement
`readable_patients`, as every list of clinical entries), since the reasons are clinical.
"""

import datetime
from typing import Any

from django.conf import settings
from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import (
    Case,
    Exists,
    F,
    IntegerField,
    Max,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from core.queries import count_of
from core.typing import User
from huddles.models import Episode
from medicines.models import Medication
from networks.models import Network
from patients.involvement import readable_patients
from patients.models import Frailty, Patient
from referrals.models import PatientFlag

from .models import AdmissionEvent


def weights() -> dict[str, int]:
    return settings.CASE_FINDING_WEIGHTS


def _last_admission(since: datetime.date, today: datetime.date) -> Subquery:
    latest = (
        AdmissionEvent.objects.filter(
            patient=OuterRef("pk"), admitted_on__gt=since, admitted_on__lte=today
        )
        .order_by()
        .values("patient")
        .annotate(last=Max("admitted_on"))
        .values("last")
    )
    return Subquery(latest)


def case_finding(user: User, network: Network, today: datetime.date | None = None) -> QuerySet:
    """The network's people not on the caseload (no open Episode) whose clinical detail the
    user reads, with a score above 0, highest first (then by name)."""
    w = weights()
    today = today or timezone.localdate()
    person = OuterRef("pk")
    emergencies = AdmissionEvent.objects.filter(
        patient=person,
        kind=AdmissionEvent.Kind.EMERGENCY,
        admitted_on__gt=today - datetime.timedelta(days=w["ADMISSION_DAYS"]),
        admitted_on__lte=today,
    )
    medicines = Medication.objects.filter(patient=person, stopped_on__isnull=True)
    flags = PatientFlag.objects.filter(patient=person, resolved_at__isnull=True)
    integer = IntegerField()
    people = (
        Patient.objects.filter(network=network)
        .filter(pk__in=readable_patients(user).values("pk"))
        .exclude(Exists(Episode.objects.filter(patient=person, closed_at__isnull=True)))
        .annotate(
            cf_frailty=Case(
                When(frailty=Frailty.SEVERE, then=Value(w["frailty_severe"])),
                When(frailty=Frailty.MODERATE, then=Value(w["frailty_moderate"])),
                default=Value(0),
                output_field=integer,
            ),
            cf_emergencies=count_of(emergencies, "patient"),
            cf_medicines=count_of(medicines, "patient"),
            cf_flags=Coalesce(
                ArraySubquery(flags.order_by("flag__label", "pk").values("flag__label")),
                Value([]),
            ),
            cf_last_admission=_last_admission(
                today - datetime.timedelta(days=w["RECENT_DAYS"] + 1), today
            ),
        )
        .annotate(
            score=F("cf_frailty")
            + F("cf_emergencies") * Value(w["emergency_admission"])
            + Case(
                When(cf_medicines__gte=w["MEDICINES"], then=Value(w["many_medicines"])),
                default=Value(0),
                output_field=integer,
            )
            + count_of(flags, "patient") * Value(w["red_flag"])
            + Case(
                When(cf_last_admission__isnull=False, then=Value(w["recent_hospital"])),
                default=Value(0),
                output_field=integer,
            )
        )
        .filter(score__gt=0)
        .order_by("-score", "family_name", "given_name", "pk")
    )
    return people


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def reasons(person: Any, today: datetime.date | None = None) -> list[str]:
    """The person's score in words, each reason with its points, from the values
    `case_finding` annotated (no query)."""
    w = weights()
    today = today or timezone.localdate()
    words: list[str] = []
    if person.cf_frailty:
        words.append(f"{Frailty(person.frailty).label} (+{person.cf_frailty})")
    if person.cf_emergencies:
        points = person.cf_emergencies * w["emergency_admission"]
        months = _plural(round(w["ADMISSION_DAYS"] * 12 / 365), "month")
        words.append(
            f"{_plural(person.cf_emergencies, 'emergency admission')} in {months} (+{points})"
        )
    if person.cf_medicines >= w["MEDICINES"] and w["many_medicines"]:
        words.append(f"{person.cf_medicines} active medicines (+{w['many_medicines']})")
    if w["red_flag"]:
        for label in person.cf_flags:
            words.append(f"Red flag: {label} (+{w['red_flag']})")
    if person.cf_last_admission is not None and w["recent_hospital"]:
        days = (today - person.cf_last_admission).days
        ago = "today" if days == 0 else f"{_plural(days, 'day')} ago"
        words.append(f"Admitted to hospital {ago} (+{w['recent_hospital']})")
    return words
