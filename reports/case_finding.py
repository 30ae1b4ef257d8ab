"""Case finding (issue #19): people in a network not on the MDT caseload, ranked by a score a
clinician can check. Each reason adds the points settings.CASE_FINDING_WEIGHTS gives it:

- frailty: moderate or severe (the person's level, which follows the latest eFI or CFS band);
- each emergency admission in the last ADMISSION_DAYS (reports.AdmissionEvent);
- MEDICINES or more active medicines (medicines.Medication not stopped);
- each active red flag (referrals.PatientFlag not resolved);
- a hospital admission of any kind in the last RECENT_DAYS: ICN holds admission dates, not
  discharge dates, so this stands for "recently out of hospital" and says "admitted".

Scored in SQL, one statement for everyone listed (each source grouped once and joined); a
page's people are then read by id, so a page costs two queries whatever its length; `reasons`
builds the words from the values the statement gave.

Who is listed: only people whose clinical detail the caller reads (patients.involvement
`readable_patients`, as every list of clinical entries), since the reasons are clinical.
"""

import datetime
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, overload

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.utils import timezone

from core.typing import User
from networks.models import Network
from patients.involvement import readable_patients
from patients.models import Frailty, Patient


def weights() -> dict[str, int]:
    return settings.CASE_FINDING_WEIGHTS


RANKED_SQL = """
WITH people AS (
  SELECT p.id, p.family_name, p.given_name, p.frailty
    FROM patients_patient p
   WHERE p.network_id = %s
     AND p.id IN ({readable})
     AND NOT EXISTS (SELECT 1 FROM huddles_episode e
                      WHERE e.patient_id = p.id AND e.closed_at IS NULL)
), admissions AS (
  SELECT a.patient_id,
         count(*) FILTER (WHERE a.kind = 'emergency' AND a.admitted_on > %s) AS emergencies,
         max(a.admitted_on) FILTER (WHERE a.admitted_on > %s) AS last_admission
    FROM reports_admissionevent a JOIN people ON people.id = a.patient_id
   WHERE a.admitted_on > least(%s, %s) AND a.admitted_on <= %s
   GROUP BY a.patient_id
), medicines AS (
  SELECT m.patient_id, count(*) AS n
    FROM medicines_medication m JOIN people ON people.id = m.patient_id
   WHERE m.stopped_on IS NULL
   GROUP BY m.patient_id
), flags AS (
  SELECT f.patient_id, array_agg(r.label ORDER BY r.label, f.id) AS labels
    FROM referrals_patientflag f
    JOIN people ON people.id = f.patient_id
    JOIN referrals_redflag r ON r.id = f.flag_id
   WHERE f.resolved_at IS NULL
   GROUP BY f.patient_id
), scored AS (
  SELECT people.id, people.family_name, people.given_name,
         CASE people.frailty WHEN 'severe' THEN %s WHEN 'moderate' THEN %s ELSE 0 END
           AS frailty_points,
         coalesce(admissions.emergencies, 0) AS emergencies,
         coalesce(medicines.n, 0) AS medicines,
         coalesce(flags.labels, '{{}}') AS flags,
         admissions.last_admission
    FROM people
    LEFT JOIN admissions ON admissions.patient_id = people.id
    LEFT JOIN medicines ON medicines.patient_id = people.id
    LEFT JOIN flags ON flags.patient_id = people.id
)
SELECT id, frailty_points, emergencies, medicines, flags, last_admission, score FROM (
  SELECT scored.*,
         frailty_points + emergencies * %s
         + CASE WHEN medicines >= %s THEN %s ELSE 0 END
         + cardinality(flags) * %s
         + CASE WHEN last_admission IS NOT NULL THEN %s ELSE 0 END AS score
    FROM scored
) ranked
 WHERE score > 0
 ORDER BY score DESC, family_name, given_name, id
"""


@dataclass(frozen=True)
class Scored:
    """One person's score and what makes it (no name: the page's rows are read by id)."""

    pk: int
    frailty_points: int
    emergencies: int
    medicines: int
    flags: list[str]
    last_admission: datetime.date | None
    score: int


class Ranked(Sequence):
    """The ranked list as a sequence for a paginator: the scores of everyone listed (one
    statement, run once), and the people of a slice read by id (one query a page), each a
    Patient carrying its score and the `cf_` values `reasons` reads."""

    def __init__(self, scored: list[Scored]):
        self.scored = scored

    def __len__(self) -> int:
        return len(self.scored)

    def count(self, value: Any = None) -> int:
        """The paginator's count (Django's Paginator calls count() when it exists)."""
        return len(self.scored)

    @overload
    def __getitem__(self, index: int) -> Patient: ...
    @overload
    def __getitem__(self, index: slice) -> list[Patient]: ...
    def __getitem__(self, index: int | slice) -> Patient | list[Patient]:
        if isinstance(index, int):
            return self._people([self.scored[index]])[0]
        return self._people(self.scored[index])

    def __iter__(self) -> Iterator[Patient]:
        for first in range(0, len(self.scored), 500):
            yield from self._people(self.scored[first : first + 500])

    def for_patient(self, pk: int) -> Patient | None:
        """The person with this id if listed, with their score."""
        found = [s for s in self.scored if s.pk == pk]
        return self._people(found)[0] if found else None

    @staticmethod
    def _people(scored: list[Scored]) -> list[Patient]:
        people = Patient.objects.in_bulk([s.pk for s in scored])
        out = []
        for s in scored:
            person: Any = people[s.pk]  # carries the score beside the model's fields
            person.score = s.score
            person.cf_frailty = s.frailty_points
            person.cf_emergencies = s.emergencies
            person.cf_medicines = s.medicines
            person.cf_flags = s.flags
            person.cf_last_admission = s.last_admission
            out.append(person)
        return out


def case_finding(user: User, network: Network, today: datetime.date | None = None) -> Ranked:
    """The network's people not on the caseload (no open Episode) whose clinical detail the
    user reads, with a score above 0, highest first (then by name).

    One statement scores everyone: each source is grouped once over the network's people and
    joined (hash joins), not a subquery per person, so it costs the same per person at
    100,000 people as at 100 (docs/performance.md, "Population reports")."""
    w = weights()
    today = today or timezone.localdate()
    readable = readable_patients(user).filter(network=network).order_by().values("pk")
    try:
        readable_sql, readable_params = readable.query.sql_with_params()
    except EmptyResultSet:
        return Ranked([])
    since_emergency = today - datetime.timedelta(days=w["ADMISSION_DAYS"])
    since_recent = today - datetime.timedelta(days=w["RECENT_DAYS"] + 1)
    params = [
        network.pk,
        *readable_params,
        since_emergency,
        since_recent,
        since_emergency,
        since_recent,
        today,
        w["frailty_severe"],
        w["frailty_moderate"],
        w["emergency_admission"],
        w["MEDICINES"],
        w["many_medicines"],
        w["red_flag"],
        w["recent_hospital"],
    ]
    with connection.cursor() as cursor:
        cursor.execute(RANKED_SQL.format(readable=readable_sql), params)
        return Ranked([Scored(*row) for row in cursor.fetchall()])


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
