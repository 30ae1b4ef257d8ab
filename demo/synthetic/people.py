"""The synthetic data's people: who is in which network, when they arrived and how often they
were referred (the plan), then each person's record, frailty, goals and admissions."""

from __future__ import annotations

import math
import random
import time
from array import array
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

from core.nhs_number import check_digit
from demo.synthetic.copying import NUMBERED, PER_PERSON
from demo.synthetic.shape import (
    ACCEPT_RATE,
    BEST_INTEREST_BY,
    CARE_NEEDS,
    CASELOAD_REASONS,
    CASEWORK,
    CLINICAL_NOTES,
    CONDITIONS,
    EFI,
    EMERGENCY_PER_YEAR,
    FAMILY,
    FRAILTY_LEVELS,
    GIVEN_FEMALE,
    GIVEN_MALE,
    GOAL_NOTES,
    GOALS,
    HOUR,
    INVOLVEMENT,
    ITEMS_PER_EPISODE,
    MANUAL_ACTIONS,
    NOTES_FOR_VISITORS,
    POSTCODE_LETTERS,
    SERVICE_MIX,
    SOCIAL_NEEDS,
    TARGET_AGENDA,
    VISITS_PER_DAY,
    WHAT_MATTERS,
    Picker,
)


class People:
    """The part of the builder that plans the people and writes each one's record."""

    def when(self, rng, low: float) -> float:
        """A day of the window at or after `low`, from the rising density 1 + t / window: the
        referrals per day double over the window (a service that is catching on)."""
        window = self.D - self.k0
        f_low = low + low * low / (2 * window)
        f_high = 1.5 * window
        u = f_low + rng.random() * (f_high - f_low)
        return (math.sqrt(1 + 2 * u / window) - 1) * window

    def plan(self) -> None:
        o = self.o
        rng = random.Random(f"{o.seed}:plan")  # noqa: S311
        window = self.D - self.k0
        pick_net = Picker((net.n, net.size) for net in self.nets)
        self.p_net = array("h")
        self.p_arrival = array("f")  # day of the window; 0: known before it
        weights = []
        for _ in range(o.people):
            n = pick_net(rng)
            self.p_net.append(n)
            arrival = 0.0 if rng.random() < 0.35 else self.when(rng, 0.0) * 0.97
            self.p_arrival.append(arrival)
            # Busier networks refer each person more often (networks.py, populations).
            busy = self.nets[n].intensity * self.nets[n].refers_more
            weights.append((window - arrival) * rng.lognormvariate(0, 0.45) * busy)
        # Referrals: one each (how the person became known), the rest by time known and need,
        # exactly as many as asked for (largest remainders).
        base = 1 if o.referrals >= o.people else 0
        rest = o.referrals - base * o.people
        total = sum(weights) or 1.0
        shares = [rest * w / total for w in weights]
        self.p_count = array("i", (base + int(s) for s in shares))
        missing = o.referrals - sum(self.p_count)
        for i in sorted(range(o.people), key=lambda i: int(shares[i]) - shares[i])[:missing]:
            self.p_count[i] += 1
        # NHS numbers: distinct and valid, from the 999 range, in a scrambled order.
        self.p_nhs = array("i")
        offset, j = rng.randrange(1_000_000), 0
        while len(self.p_nhs) < o.people:
            n = (offset + 7919 * j) % 1_000_000
            j += 1
            if check_digit(f"999{n:06d}") is not None:
                self.p_nhs.append(n)
        # The MDT's share of each network's referrals: enough for its meetings to discuss
        # about TARGET_AGENDA people each.
        referred = [0] * len(self.nets)
        for n, count in zip(self.p_net, self.p_count, strict=True):
            referred[n] += count
        working_days = self.cal.worked[self.D - 1] - self.cal.worked[self.k0 - 1]
        for net in self.nets:
            referrals = referred[net.n]
            episodes = net.held * TARGET_AGENDA / ITEMS_PER_EPISODE
            share = min(max(episodes / (0.8 * ACCEPT_RATE["mdt"]) / max(referrals, 1), 0.001), 0.3)
            total = sum(SERVICE_MIX.values())
            net.mdt_share = share
            net.pick_service = Picker(
                [*((s, w / total * (1 - share)) for s, w in SERVICE_MIX.items()), ("mdt", share)]
            )
            # Visits: as many as the medicines team can make (the rest are desk reviews).
            visitors = len(net.staff.get("pharmacist", ())) + len(
                net.staff.get("pharmacy_technician", ())
            )
            capacity = visitors * working_days * VISITS_PER_DAY
            accepted = referrals * SERVICE_MIX["medicines_optimisation"] / total * (1 - share)
            net.visit_share = min(1.0, capacity / max(accepted * 0.75 * 1.25, 1))

    # --- a chunk of people -----------------------------------------------------------------------

    def chunk(self, number: int, first: int, last: int) -> None:
        started = time.perf_counter()
        self.rng = random.Random(f"{self.o.seed}:people:{number}")  # noqa: S311
        self.rows = {name: [] for name in PER_PERSON}
        for i in range(first, last):
            self.person(i)
        self.generating += time.perf_counter() - started
        for name in PER_PERSON:
            self.copy(name, self.rows[name])
        self.rows = None

    def new_id(self, name: str) -> int:
        return self.new(NUMBERED[name])

    def person(self, i: int) -> None:
        rng, cal, dt, E, D = self.rng, self.cal, self.dt, self.E, self.D
        rows = self.rows
        net = self.nets[self.p_net[i]]
        pid = self.new_id("patient")
        arrival = self.p_arrival[i]

        # Who they are.
        age = 65 + int(rng.betavariate(1.4, 2.4) * 36)
        born = cal.dates[D] - timedelta(days=int(age * 365.25) + rng.randrange(365))
        female = rng.random() < 0.57
        x = (age - 65) / 35 + rng.gauss(0, 0.25)
        frailty = None
        if rng.random() >= 0.08:
            frailty = (
                "fit" if x < 0.12 else "mild" if x < 0.42 else "moderate" if x < 0.72 else "severe"
            )
        home = rng.choice(net.homes) if rng.random() < 0.02 + 0.16 * min(max(x, 0), 1) else None

        # When they were referred, and when they became known.
        times = []
        for _ in range(self.p_count[i]):
            k = self.k0 + min(int(self.when(rng, arrival)), D - self.k0 - 1)
            if rng.random() < 0.85:  # office hours on a working day
                if not cal.working[k] and cal.add_working(k, 0) < D:
                    k = cal.add_working(k, 0)
                times.append(cal.at(k, rng.uniform(8 * HOUR, 18 * HOUR)))
            else:  # any day, early or late (discharges at the weekend)
                times.append(cal.at(k, rng.uniform(7 * HOUR, 21 * HOUR)))
        times.sort()
        if arrival == 0.0:
            created = cal.at(self.k0 - rng.randrange(1, 3 * 365), rng.uniform(9 * HOUR, 17 * HOUR))
        elif times:
            created = times[0] - rng.uniform(60, 1800)
        else:
            created = cal.at(self.k0 + int(arrival), 10 * HOUR)

        self.p = SimpleNamespace(
            pid=pid, net=net, team={}, admissions=set(), consent=None, medicines=None,
            shared=False, discussed=False, no_mdt=False, assessed=[],
        )  # fmt: skip
        open_until: dict[str, float] = {}
        last_ts = created
        for ts in times:
            last_ts = max(last_ts, self.referral(ts, open_until, home))

        # The rest of the record.
        if frailty is not None:
            self.frailty_history(frailty, created)
        if self.p.medicines is not None or rng.random() < 0.4:
            self.medications(self.p.medicines or created, home is not None)
        if self.p.team and rng.random() < 0.35:
            self.goals(created)
        self.background_admissions(frailty, created)
        if rng.random() < 0.3:
            role = rng.choice(CASEWORK)
            k = rng.randrange(max(cal.day_of(created), self.k0), D)
            named = rng.random() < 0.5
            self.action(
                rng.choice(MANUAL_ACTIONS), "", cal.at(k, rng.uniform(9 * HOUR, 17 * HOUR)),
                k + rng.randint(1, 21), rng.choice(net.holders[role])[0] if named else None,
                "" if named else role, "manual", rng.choice(net.casework)[0],
            )  # fmt: skip
        for membership, (uid, ts, service) in self.p.team.items():
            rows["team"].append((pid, membership, INVOLVEMENT[service], uid, dt(ts)))
        key_worker = rng.choice(list(self.p.team)) if self.p.team and rng.random() < 0.5 else None
        u = rng.random()
        if home is not None and u < 0.45:
            consent = ("best_interest", "best_interest")
        elif u < 0.75:
            consent = ("given", "given")
        elif u < 0.8:
            consent = ("given", "refused")
        elif u < 0.84:
            consent = ("refused", "refused")
        else:
            consent = ("not_asked", "not_asked")
        # As ICN's rules require (issue 17): a person referred to the PIC consented to share
        # (or a best-interests decision was taken); one on an agenda did not refuse it.
        mdt, sharing = consent
        if self.p.shared and sharing not in ("given", "best_interest"):
            sharing = "given"
        if self.p.discussed and mdt == "refused":
            mdt = "given"
        consent = (mdt, sharing)
        consent_by = consent_at = None
        if consent != ("not_asked", "not_asked"):
            consent_at, consent_by = self.p.consent or (created + 600, net.chair)
        best_interest_by, best_interest_on = "", None
        if "best_interest" in consent and consent_at is not None:
            best_interest_by = rng.choice(BEST_INTEREST_BY)
            best_interest_on = dt(consent_at).date()
        if home is not None:
            address, phone = home[1], home[2]
            needs = rng.sample(CARE_NEEDS, rng.randint(1, 2))
        else:
            address = f"{rng.randint(1, 240)} {rng.choice(net.streets)}, {net.place}"
            u = rng.random()
            phone = (
                f"020 7946 {rng.randint(0, 999):04d}"
                if u < 0.45
                else f"07700 900{rng.randint(0, 999):03d}"
                if u < 0.85
                else ""
            )
            needs = []
        letters = POSTCODE_LETTERS
        postcode = f"ZT{net.district} {rng.randint(1, 9)}{rng.choice(letters)}{rng.choice(letters)}"
        nine = f"999{self.p_nhs[i]:06d}"
        clinical = ""
        if rng.random() < 0.6:
            clinical = ", ".join(rng.sample(CONDITIONS, rng.randint(1, 4))) + ". "
            clinical = (clinical + rng.choice(CLINICAL_NOTES)).strip()
        rows["patient"].append(
            (
                pid, net.id, nine + str(check_digit(nine)),
                rng.choice(GIVEN_FEMALE if female else GIVEN_MALE), rng.choice(FAMILY), born,
                address, postcode, phone, rng.choice(net.practices), home[0] if home else None,
                key_worker, rng.choice(NOTES_FOR_VISITORS) if rng.random() < 0.3 else "",
                rng.choice(SOCIAL_NEEDS) if rng.random() < 0.6 else "",
                rng.choice(WHAT_MATTERS) if rng.random() < 0.6 else "", frailty,
                rng.choice(CASELOAD_REASONS) if rng.random() < 0.8 else "", clinical, needs,
                consent[0], consent[1], best_interest_by, best_interest_on, consent_by,
                dt(consent_at) if consent_at else None,
                dt(created), net.chair, dt(min(last_ts, E - 1)),
            )
        )  # fmt: skip

    def admission(self, k: int, kind: str) -> None:
        """A hospital admission on day k: from the hospital's monthly file, or entered by hand."""
        rng, cal, p = self.rng, self.cal, self.p
        if not 0 <= k < self.D or (k, kind) in p.admissions:
            return
        p.admissions.add((k, kind))
        day = cal.dates[k]
        imported = p.net.imports.get((day.year, day.month))
        if imported is not None and rng.random() < 0.7:
            source, file, by, at = "import", imported[0], p.net.chair, imported[1]
        else:
            source, file = "manual", None
            by = rng.choice(p.net.holders["community_nurse"])[0]
            at = cal.at(min(k + rng.randint(1, 7), self.D - 1), rng.uniform(9, 17) * HOUR)
        self.rows["admission"].append(
            (p.net.id, p.pid, day, kind, source, file, by, self.dt(max(at, cal.at(k, 12 * HOUR))))
        )

    def background_admissions(self, frailty, created: float) -> None:
        rng = self.rng
        first = max(self.cal.day_of(created), self.k0)
        years = (self.D - first) / 365.25
        for kind, rate in (("emergency", EMERGENCY_PER_YEAR[frailty]), ("elective", 0.03)):
            expected = rate * years
            for _ in range(int(expected) + (rng.random() < expected % 1)):
                self.admission(rng.randrange(first, self.D), kind)

    def frailty_history(self, frailty: str, created: float) -> None:
        rng, cal = self.rng, self.cal
        p = self.p
        level = FRAILTY_LEVELS.index(frailty)
        first = max(cal.day_of(created), self.k0 - 365)
        days = sorted(rng.randrange(first, self.D) for _ in range(1 + (rng.random() < 0.4)))
        last = days[-1]
        # Assessed when referred to the MDT (referrals.py, around_mdt): at their level now.
        days = sorted({*days, *(k for k in p.assessed if k < self.D)})
        for k in days:
            this = frailty if k >= last or k in p.assessed else FRAILTY_LEVELS[max(level - 1, 0)]
            efi = None
            if rng.random() < 0.7:
                efi = Decimal(f"{rng.uniform(*EFI[this]):.2f}")
            by = rng.choice(p.net.holders["gp" if rng.random() < 0.6 else "community_nurse"])[0]
            self.rows["frailty"].append(
                (
                    p.pid,
                    this,
                    "efi" if efi is not None else "",
                    efi,
                    cal.dates[k],
                    by,
                    self.dt(cal.at(k, rng.uniform(9, 17) * HOUR)),
                )
            )

    def goals(self, created: float) -> None:
        rng, cal, p = self.rng, self.cal, self.p
        pics = p.net.staff.get("pic")
        for description in rng.sample(GOALS, rng.randint(1, 3)):
            k = rng.randrange(max(cal.day_of(created), self.k0), self.D)
            if pics and rng.random() < 0.6:
                by = rng.choice(pics)[0]
            else:
                by = next(iter(p.team.values()))[0]
            age = self.D - k
            u = rng.random()
            if age > 90:
                outcome = (
                    "met"
                    if u < 0.45
                    else "partly_met"
                    if u < 0.65
                    else "not_met"
                    if u < 0.8
                    else "open"
                )
            elif age > 30:
                outcome = (
                    "met"
                    if u < 0.2
                    else "partly_met"
                    if u < 0.3
                    else "not_met"
                    if u < 0.35
                    else "open"
                )
            else:
                outcome = "open"
            decided = None
            if outcome != "open":
                decided = cal.dates[min(k + rng.randint(14, age - 1), self.D - 1)]
            self.rows["goal"].append(
                (
                    p.pid, description, cal.dates[k], by, outcome, decided,
                    by if decided else None,
                    rng.choice(GOAL_NOTES[outcome]) if decided else "",
                )
            )  # fmt: skip
