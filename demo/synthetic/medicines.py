"""The synthetic data's medicines work: visits with observations and NEWS2, reviews at home and
at the desk, interventions, and medication lists."""

from __future__ import annotations

from decimal import Decimal

from demo.synthetic.shape import (
    HOUR,
    INF,
    INTERVENTION_NOTES,
    MEDICINE_ROWS,
    MEDICINES,
    PRESCRIBERS,
    REVIEW_ACTIONS,
    STOP_REASONS,
    VISIT_SUMMARIES,
    pick_intervention,
    pick_review,
)
from medicines.news2 import news2


class Medicines:
    """The part of the builder that writes visits, reviews and medication lists."""

    def visits(self, member, accepted: float, end: float) -> None:
        """Visits by a pharmacist (or technician) for an accepted medicines referral: a risk
        assessment, observations and NEWS2 at home, a review, interventions, a follow-up."""
        rng, cal, dt = self.rng, self.cal, self.dt
        p = self.p
        net = p.net
        if net.role_of[member[0]] not in ("pharmacist", "pharmacy_technician"):
            member = rng.choice(net.pharmacists)
        visitor = member[0]
        p.team.setdefault(member[1], (visitor, accepted, "medicines_optimisation"))
        k = cal.day_of(accepted)
        for n in range(1 + (rng.random() < 0.25)):
            k = cal.add_working(k, rng.randint(1, 8) if n == 0 else rng.randint(10, 30))
            if k >= self.D:
                return
            ts = cal.at(k, rng.uniform(9 * HOUR, 16.5 * HOUR))
            if ts >= end:
                return
            infection, lone = rng.random() < 0.05, rng.random() < 0.03
            u = rng.random()
            preference = "none" if u < 0.8 else "home" if u < 0.9 else "remote"
            if infection or lone or preference == "remote":
                kind = "phone" if rng.random() < 0.8 else "video"
            else:
                kind = "home" if rng.random() < 0.95 else "phone"
            joint = None
            if kind == "home" and rng.random() < 0.08:
                joint = rng.choice(net.casework)[0]
                joint = None if joint == visitor else joint
            obs = (None,) * 11 + (False,)
            if kind == "home" and rng.random() < 0.9:
                systolic = min(max(int(rng.gauss(136, 18)), 85), 200)
                diastolic = min(max(int(rng.gauss(76, 10)), 45), systolic - 20)
                pulse = min(max(int(rng.gauss(78, 12)), 40), 140)
                breathing = min(max(int(rng.gauss(17, 2.5)), 10), 32)
                temperature = Decimal(f"{min(max(rng.gauss(36.8, 0.45), 35.0), 39.5):.1f}")
                oxygen = rng.random() < 0.03
                scale = 2 if oxygen and rng.random() < 0.5 else 1
                spo2 = min(max(int(rng.gauss(95.5, 2)), 85), 100)
                level = "alert" if rng.random() < 0.96 else "confusion"
                score = news2(
                    respiratory_rate=breathing,
                    spo2=spo2,
                    on_oxygen=oxygen,
                    spo2_scale=scale,
                    systolic_bp_value=systolic,
                    pulse_rate=pulse,
                    consciousness_level=level,
                    temperature_c=temperature,
                )
                obs = (
                    systolic, diastolic, pulse, breathing, temperature, spo2, oxygen, scale,
                    level, score.score, score.complete,
                )  # fmt: skip
            else:
                obs = (None, None, None, None, None, None, False, 1, "", None, False)
            vid = self.new_id("visit")
            follow_on, follow_action = None, None
            if rng.random() < 0.4:
                fk = k + rng.randint(7, 28)
                follow_on = cal.dates[fk]
                follow_action = self.action(
                    "Follow up the medicines visit", "", ts + 1800, fk, visitor, "", "visit",
                    visitor,
                )  # fmt: skip
            self.rows["visit"].append(
                (
                    vid, net.id, p.pid, kind, visitor, joint, dt(ts), infection, lone,
                    preference, rng.choice(VISIT_SUMMARIES), *obs, follow_on, follow_action,
                    dt(ts + 1800),
                )
            )  # fmt: skip
            if rng.random() < 0.7:
                outcome = pick_review(rng)
                self.rows["review"].append(
                    (
                        p.pid, vid, cal.dates[k], visitor, outcome, rng.choice(REVIEW_ACTIONS),
                        dt(ts + 1800),
                    )
                )  # fmt: skip
                if outcome == "changes_made":
                    for _ in range(rng.randint(1, 3)):
                        kind = pick_intervention(rng)
                        medicine = rng.choice(MEDICINES)[0]
                        self.rows["intervention"].append(
                            (vid, kind, medicine, INTERVENTION_NOTES[kind])
                        )

    def desk_review(self, member, accepted: float, end: float) -> None:
        """A medication review from the records and a phone call to the GP practice, without a
        visit."""
        rng, cal, p = self.rng, self.cal, self.p
        if p.net.role_of[member[0]] not in ("pharmacist", "pharmacy_technician"):
            member = rng.choice(p.net.pharmacists)
        p.team.setdefault(member[1], (member[0], accepted, "medicines_optimisation"))
        k = cal.add_working(cal.day_of(accepted), rng.randint(1, 10))
        ts = cal.at(k, rng.uniform(9 * HOUR, 17 * HOUR)) if k < self.D else INF
        if ts < end:
            self.rows["review"].append(
                (
                    p.pid, None, cal.dates[k], member[0], pick_review(rng),
                    rng.choice(REVIEW_ACTIONS), self.dt(ts),
                )
            )  # fmt: skip

    def medications(self, since: float, resident: bool) -> None:
        rng, cal, p = self.rng, self.cal, self.p
        created = min(since + rng.uniform(600, 3600), self.E - 1)
        k = cal.day_of(created)
        by = rng.choice(p.net.pharmacists)[0]
        aid = resident or rng.random() < 0.2
        prescriber = rng.choice(PRESCRIBERS)
        for name, strength, form, amount, unit, frequency, route in rng.sample(
            MEDICINE_ROWS, rng.randint(4, 10)
        ):
            started = max(k - rng.randint(30, 5 * 365), 0)
            stopped, why = None, ""
            if rng.random() < 0.12:
                stopped = cal.dates[rng.randint(started, self.D - 1)]
                why = rng.choice(STOP_REASONS)
            self.rows["medication"].append(
                (
                    p.pid, name, form, strength, amount, unit, frequency, route,
                    cal.dates[started], stopped, why, prescriber,
                    aid and form in ("tablet", "capsule"), by, self.dt(created),
                )
            )  # fmt: skip
