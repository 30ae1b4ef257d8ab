"""The synthetic data's referrals: who referred whom to which service, the triage and what
followed (an MDT episode, visits, tasks), red flags, and the tasks themselves."""

from __future__ import annotations

from demo.synthetic.shape import (
    ACCEPT_RATE,
    ACTION_TITLES,
    DAY,
    DECLINE_NOTES,
    DUPLICATE,
    HOUR,
    INF,
    LONG_WAIT,
    MDT_ASSESSED,
    MDT_WINDOW,
    OPEN_DAYS,
    POST_MDT,
    PRE_MDT,
    QUEUE_ROLE,
    REASONS,
    RED_FLAG_SHARE,
    SOURCE_CONTACTS,
    STALE,
    WITHDRAWN,
    pick_decline,
    pick_wait,
    poisson,
)


class Referrals:
    """The part of the builder that writes a person's referrals and tasks."""

    def referral(self, ts: float, open_until: dict, home) -> float:
        """One referral made at `ts`, its triage and what followed. Returns the last time it
        touched the record."""
        rng, cal, dt, E = self.rng, self.cal, self.dt, self.E
        p = self.p
        net = p.net
        rid = self.new_id("referral")
        origin = "red_flag" if rng.random() < RED_FLAG_SHARE else "manual"
        for attempt in range(4):  # referrers mostly know which services are involved already
            flag = None
            if origin == "red_flag":
                flag = self.flags[rng.choice(self.flag_codes)]
                service = flag[1]
            else:
                service = net.pick_service(rng)
                if service in self.flags_by_service and rng.random() < 0.06:
                    flag = self.flags[rng.choice(self.flags_by_service[service])]
            if open_until.get(service, 0.0) <= ts or attempt == 3 or rng.random() < DUPLICATE:
                break
        # Not taken on by the MDT once: not referred to it again (the evaluation's comparison
        # group are people never on its caseload).
        if service == "mdt" and p.no_mdt and origin == "manual":
            flag = None
            while service == "mdt":
                service = net.pick_service(rng)
        # A second referral while one is open for the same service: a duplicate (a red flag
        # would have joined the open referral instead).
        duplicate = open_until.get(service, 0.0) > ts
        if duplicate and origin == "red_flag":
            origin, flag = "manual", None
        p.shared = p.shared or service == "pic"  # so consent to share is recorded (people.py)

        # Who referred, from where.
        source, contact = None, ""
        u = rng.random()
        if origin == "red_flag":
            by = rng.choice(net.casework)[0]
        elif (service == "mdt" and u < 0.45) or u < 0.08:
            by, source = net.partner, self.hospital
            contact = rng.choice(SOURCE_CONTACTS["nhs_trust"])
        elif u < 0.2:
            by, source = net.chair, rng.choice(net.practices)
            contact = rng.choice(SOURCE_CONTACTS["gp_practice"])
        elif u < 0.26 and home is not None:
            by, source = net.chair, home[0]
            contact = rng.choice(SOURCE_CONTACTS["care_home"])
        elif u < 0.26:
            by = rng.choice(net.casework)[0]
        elif u < 0.29:
            by, source = net.chair, self.council
            contact = rng.choice(SOURCE_CONTACTS["council"])
        else:
            by = rng.choice(net.casework)[0]
        reason = f"Red flag: {flag[3]}." if origin == "red_flag" else rng.choice(REASONS[service])
        urgent = (flag is not None and flag[2] == "urgent") or rng.random() < (
            0.35 if source == self.hospital else 0.1
        )
        k = cal.day_of(ts)

        # Triage: when, by whom, and what was decided.
        member = rng.choice(net.triagers[service])
        if urgent:
            wait = 0 if rng.random() < 0.6 else 1
        elif rng.random() < LONG_WAIT.get(service, 0.03):
            wait = rng.randint(8, 45)
        else:
            wait = pick_wait(rng)
        tk = cal.add_working(k, wait)
        if tk == k:
            tts = ts + rng.uniform(0.3 * HOUR, 4 * HOUR)
            if tts > cal.at(k, 18.5 * HOUR):
                tts = cal.at(cal.add_working(k, 1), rng.uniform(8.5 * HOUR, 12 * HOUR))
        else:
            tts = cal.at(tk, rng.uniform(8.5 * HOUR, 17.5 * HOUR))
        status, decline, note = "new", "", ""
        triaged = triager = closed = closer = None
        if duplicate:
            if tts < E and rng.random() < 0.8:
                status, triaged, triager = "declined", tts, member[0]
                decline, note = "already_known", rng.choice(DECLINE_NOTES["already_known"])
            else:  # withdrawn by the referrer (before the end, whatever happens)
                status, closer = "withdrawn", by
                closed = ts + min(rng.uniform(0.5 * HOUR, 48 * HOUR), (E - ts) * 0.9)
        else:
            if rng.random() < WITHDRAWN:
                when = ts + rng.uniform(0.5 * HOUR, 72 * HOUR)
                if when < min(tts, E):
                    status, closed, closer = "withdrawn", when, by
            backlog = STALE[0] + STALE[1] * ((k - self.k0) / (self.D - self.k0)) ** 2
            if status == "new" and tts < E and rng.random() >= backlog:
                triaged, triager = tts, member[0]
                if rng.random() < ACCEPT_RATE.get(service, 0.86):
                    status = "accepted"
                else:
                    status, decline = "declined", pick_decline(rng)
                    note = rng.choice(DECLINE_NOTES[decline]) or (
                        "See the notes." if decline == "other" else ""
                    )
            if status == "new":
                open_until[service] = INF

        if status == "accepted":
            p.consent = p.consent or (tts, triager)
            p.team.setdefault(member[1], (triager, tts, service))
            if service == "mdt":
                closed = self.episode(rid, tts, reason)
            else:
                low, high = OPEN_DAYS[service]
                ends = cal.at(cal.day_of(tts) + rng.randint(low, high), rng.uniform(9, 17) * HOUR)
                closed = ends if ends < E else None
                if service == "medicines_optimisation":
                    p.medicines = p.medicines or tts
                    if rng.random() < net.visit_share:
                        self.visits(member, tts, min(ends, E))
                    elif rng.random() < 0.6:
                        self.desk_review(member, tts, min(ends, E))
                if rng.random() < 0.5:
                    role = QUEUE_ROLE[service]
                    named = rng.random() < 0.5
                    self.action(
                        rng.choice(ACTION_TITLES.get(net.role_of[triager], ACTION_TITLES[role])),
                        f"From the {service.replace('_', ' ')} referral.",
                        min(tts + rng.uniform(60, 3600), E - 1),
                        cal.day_of(tts)
                        + (rng.randint(5, 21) if rng.random() < 0.7 else rng.randint(28, 90)),
                        triager if named else None,
                        "" if named else role,
                        "referral",
                        triager,
                    )
            if closed is None:
                open_until[service] = INF
            else:
                status, closer = "completed", net.chair if service == "mdt" else triager
                open_until[service] = closed
        if service == "mdt" and not duplicate:
            if status in ("declined", "withdrawn"):
                p.no_mdt = True
            index = triaged or closed or ts
            self.around_mdt(k, cal.day_of(index), source, status in ("accepted", "completed"))
        self.rows["referral"].append(
            (
                rid, net.id, p.pid, service, reason, "urgent" if urgent else "routine", status,
                origin, by, source, contact, dt(ts), dt(triaged) if triaged else None, triager,
                decline, note, dt(closed) if closed else None, closer,
            )
        )  # fmt: skip
        if flag is not None:
            end = triaged if status == "declined" else closed
            resolved = max(min(end + rng.uniform(0, 3 * DAY), E - 60), end) if end else None
            self.rows["flag"].append(
                (
                    p.pid, flag[0], rid,
                    "referral" if origin == "manual" else rng.choice(("visit", "patient")),
                    "", by, dt(ts), dt(resolved) if resolved else None,
                    (closer or triager) if resolved else None,
                    "Dealt with by the service." if resolved else "",
                )
            )  # fmt: skip
        return max(ts, triaged or ts, closed or ts)

    def around_mdt(self, k: int, index: int, source, taken_on: bool) -> None:
        """The emergency admissions around a referral to the MDT made on day k and decided
        (or withdrawn) on day `index`, whether the person was taken on or not: raised before
        it (the crisis that prompted it; a hospital's referral follows an admission), fewer
        after (shape.py, PRE_MDT and POST_MDT). Often a frailty assessment with it."""
        rng = self.rng
        if source == self.hospital and rng.random() < 0.8:
            self.admission(k - rng.randint(2, 14), "emergency")
        for _ in range(poisson(rng, PRE_MDT)):
            self.admission(k - rng.randint(15, MDT_WINDOW), "emergency")
        for _ in range(poisson(rng, POST_MDT["caseload" if taken_on else "not_taken_on"])):
            self.admission(index + rng.randint(1, MDT_WINDOW), "emergency")
        if rng.random() < MDT_ASSESSED:
            self.p.assessed.append(k)

    def action(
        self, title, details, created, due_k, assignee, role, source, by, item=None, pk=None
    ) -> int:
        """A task for a named member or a role queue. Most are done around their due date;
        some are still open, overdue."""
        rng, cal, D = self.rng, self.cal, self.D
        net = self.p.net
        pk = pk or self.new_id("action")
        if due_k < D:
            late = D - due_k
            done = rng.random() >= (0.4 if late <= 7 else 0.2 if late <= 30 else 0.04)
        else:
            done = rng.random() < 0.15
        done_at = done_by = None
        if done:
            dk = min(max(due_k + rng.randint(-5, 3), cal.day_of(created)), D - 1)
            ts = cal.at(dk, rng.uniform(9 * HOUR, 17.5 * HOUR))
            if ts <= created:
                ts = created + rng.uniform(600, 4 * HOUR)
            if ts < self.E:
                done_at = ts
                done_by = assignee or rng.choice(net.holders[role])[0]
        claimed_from, claimed_at = "", None
        if assignee is not None and rng.random() < 0.2:
            when = created + rng.uniform(0.5 * HOUR, 30 * HOUR)
            if when < (done_at or self.E):
                claimed_from, claimed_at = net.role_of[assignee], when
        self.rows["action"].append(
            (
                pk, net.id, self.p.pid, title, details, assignee, role, cal.dates[due_k],
                "done" if done_at else "open", source, item, claimed_from,
                self.dt(claimed_at) if claimed_at else None, by, self.dt(created),
                self.dt(done_at) if done_at else None, done_by,
            )
        )  # fmt: skip
        return pk
