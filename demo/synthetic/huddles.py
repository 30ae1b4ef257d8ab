"""The synthetic data's MDT episodes: a person on the agendas of the meetings that discussed
them, the decisions, and the tasks agreed there."""

from __future__ import annotations

import bisect
from datetime import date

from demo.synthetic.shape import (
    ACTION_TITLES,
    AGENDA_CAP,
    DISCHARGE_REASONS,
    ITEM_NOTES,
    NOT_REACHED,
    READMITTED,
    REVIEW_GAP,
    pick_action_role,
    pick_answer,
    pick_discussions,
    pick_meeting_actions,
)


class Huddles:
    """The part of the builder that writes MDT episodes and their agenda items."""

    def episode(self, rid: int, opened: float, reason: str) -> float | None:
        """Time on the MDT caseload from an accepted referral: the person on the agenda of the
        next meeting, reviewed at later ones, discharged with the answer to "have we avoided
        an admission?" (or still on the caseload). Returns the discharge time, if any."""
        rng, cal, dt, E = self.rng, self.cal, self.dt, self.E
        p = self.p
        p.discussed = True  # on an agenda: so not one who refused discussion (people.py)
        net = p.net
        items = self.rows["item"]
        n_meetings = len(net.m_ts)
        i = bisect.bisect_right(net.m_ts, opened)
        wanted = pick_discussions(rng)
        low, high = REVIEW_GAP[net.cadence]
        discussed, closed, answer, why = 0, None, "", ""
        source, about, referral = "referral", f"New MDT referral: {reason}"[:300], rid
        updated = opened
        while True:
            while i < n_meetings and (net.m_off[i] or net.positions[i] >= AGENDA_CAP):
                i += 1
            if i >= n_meetings:
                break
            ts, day = net.m_ts[i], cal.dates[net.m_day[i]]
            if ts >= E:
                if i == net.next_index:  # on the agenda of the next meeting
                    net.positions[i] += 1
                    items.append(
                        (
                            self.new_id("item"), net.m_id[i], p.pid, source, about, referral,
                            net.positions[i], "pending", "", "", None, "", "", None, None, 1,
                            dt(updated),
                        )
                    )  # fmt: skip
                break
            net.positions[i] += 1
            position = net.positions[i]
            item = self.new_id("item")
            if rng.random() < NOT_REACHED:
                items.append(
                    (
                        item, net.m_id[i], p.pid, source, about, referral, position,
                        "not_reached", "", "", None, "", "", None, None, 1, dt(ts + 90 * 60),
                    )
                )  # fmt: skip
                source, about = "carried", f"Not reached on {day:%d %b}: {about}"[:300]
                updated = ts + 90 * 60
                i += 1
                continue
            discussed += 1
            decided = ts + min(60 * (4 + 2 * position), 88 * 60)
            notes = rng.choice(ITEM_NOTES)
            if discussed >= wanted:
                answer = pick_answer(rng)
                why = rng.choice(DISCHARGE_REASONS[answer])
                items.append(
                    (
                        item, net.m_id[i], p.pid, source, about, referral, position,
                        "discussed", notes, "discharge", None, answer, why, dt(decided),
                        net.chair, 3, dt(decided),
                    )
                )  # fmt: skip
                self.meeting_actions(item, decided, net.m_day[i], day)
                closed = decided
                break
            j = i + rng.randint(low, high)
            review = net.m_day[j] if j < n_meetings else net.m_day[i] + 14
            items.append(
                (
                    item, net.m_id[i], p.pid, source, about, referral, position, "discussed",
                    notes, "continue", cal.dates[review], "", "", dt(decided), net.chair, 3,
                    dt(decided),
                )
            )  # fmt: skip
            self.meeting_actions(item, decided, net.m_day[i], day)
            source, about, referral = "review", f"Review due {cal.dates[review]:%d %b}", None
            updated = decided
            i = j
        self.rows["episode"].append(
            (p.pid, net.id, rid, dt(opened), dt(closed) if closed else None, answer, why)
        )
        if closed is not None and rng.random() < READMITTED[answer]:
            self.admission(cal.day_of(closed) + rng.randint(3, 90), "emergency")
        return closed

    def meeting_actions(self, item: int, decided: float, k: int, day: date) -> None:
        rng, net = self.rng, self.p.net
        word = "virtual ward" if net.vocabulary == "hub" else "huddle"
        for _ in range(pick_meeting_actions(rng)):
            role = pick_action_role(rng)
            named = rng.random() < 0.4
            self.action(
                rng.choice(ACTION_TITLES[role]),
                f"Agreed at the {word} on {day:%d %b %Y}.",
                decided,
                k + rng.randint(3, 14),
                rng.choice(net.holders[role])[0] if named else None,
                "" if named else role,
                "meeting",
                net.chair,
                item,
            )
