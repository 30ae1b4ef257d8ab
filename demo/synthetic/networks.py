"""The synthetic data's networks: organisations, networks with their GP practices, care homes
and services, staff with a preference and a cover, meetings with attendance, and the hospital's
monthly admissions files."""

from __future__ import annotations

import random
from datetime import timedelta
from types import SimpleNamespace

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection
from django.utils.text import slugify

from demo.synthetic.days import month_back
from demo.synthetic.shape import (
    CADENCES,
    CANCELLED_REASONS,
    CARE_HOME_NAMES,
    CASEWORK,
    COMMISSIONER_OF,
    DAY,
    EMAIL_DOMAIN,
    FAMILY,
    GIVEN_FEMALE,
    GIVEN_MALE,
    HOUR,
    JOB_TITLES,
    ORG_PREFIX,
    OUTLIER_FROM,
    OUTLIER_RATE,
    PLACES,
    POPULATION_DRIFT,
    POPULATION_PER_PERSON,
    PRACTICE_KINDS,
    REFERRAL_INTENSITY,
    ROLES_MORE,
    ROLES_ONCE,
    SLUG_PREFIX,
    STREET_KINDS,
    STREETS,
    TRIAGERS,
    UNUSABLE_PASSWORD,
    USERNAME_PREFIX,
)
from huddles.models import Meeting
from huddles.scheduling import slots
from networks.models import Membership, Network, Organisation
from networks.roles import DEFAULT_SERVING_ROLES, Role, Service
from referrals.catalogue import ensure_red_flags
from referrals.models import RedFlag
from referrals.selectors import DEFAULT_ACCEPTS
from reports.models import AdmissionImport

User = get_user_model()


class Networks:
    """The part of the builder that sets up networks, organisations, staff and meetings."""

    def setup(self) -> None:
        o, cal = self.o, self.cal
        dt = self.dt
        rng = random.Random(f"{o.seed}:setup")  # noqa: S311 (not secret)
        ensure_red_flags()
        self.flags = {
            code: (pk, routes_to, urgency, label)
            for pk, code, routes_to, urgency, label in RedFlag.objects.filter(active=True)
            .order_by("code")
            .values_list("id", "code", "routes_to", "default_urgency", "label")
        }
        self.flag_codes = sorted(self.flags)
        self.flags_by_service: dict[str, list[str]] = {}
        for code in self.flag_codes:
            self.flags_by_service.setdefault(self.flags[code][1], []).append(code)
        first_day = cal.dates[self.k0]
        since = cal.at(self.k0, 9 * HOUR) - 60 * DAY  # when the networks were set up

        # Organisations: a community trust, a hospital, the council, a charity; GP practices
        # and care homes.
        org_ids = iter(self.take(Organisation, 4 + o.practices + 4 * o.networks))
        orgs = []

        def org(code, name, kind, address="", phone=""):
            pk = next(org_ids)
            orgs.append((pk, ORG_PREFIX + code, name, kind, address, phone))
            return pk

        self.trust = org("TRUST", "Synthetic Community Health NHS Trust", "nhs_trust")
        self.hospital = org("HOSP", "Synthetic University Hospitals NHS Trust", "nhs_trust")
        self.council = org("LA", "Synthetic Borough Council", "council", "Town Hall")
        self.charity = org("VS", "Synthetic Age Concern", "voluntary_sector")
        places = [
            PLACES[i % len(PLACES)] + (f" {i // len(PLACES) + 1}" if i >= len(PLACES) else "")
            for i in range(o.networks)
        ]
        practices: list[list[int]] = [[] for _ in range(o.networks)]
        for p in range(o.practices):
            n = p % o.networks
            practices[n].append(
                org(
                    f"GP-{p + 1:03d}",
                    f"{rng.choice(STREETS)} {rng.choice(PRACTICE_KINDS)}, {places[n]}",
                    "gp_practice",
                    f"{rng.randint(1, 200)} {rng.choice(STREETS)} Road, {places[n]}",
                    f"020 7946 {rng.randint(0, 999):04d}",
                )
            )
        homes: list[list[tuple]] = []
        for n in range(o.networks):
            homes.append([])
            for h in range(4):
                number = 4 * n + h
                name = f"{CARE_HOME_NAMES[number % len(CARE_HOME_NAMES)]} Care Home"
                address = f"{rng.randint(1, 90)} {rng.choice(STREETS)} Road, {places[n]}"
                phone = f"01632 960{rng.randint(500, 599):03d}"
                pk = org(f"CH-{number + 1:03d}", name, "care_home", address, phone)
                homes[n].append((pk, address, phone))
        self.copy("org", orgs)

        # Networks, with their GP practices and services.
        net_ids = self.take(Network, o.networks)
        rows, through, home_links, services = [], [], [], []
        sizes = [rng.uniform(0.7, 1.3) for _ in range(o.networks)]
        # How much each network's people are referred (a busier or quieter network), and the
        # one that refers more than the rest for its population (the funnel's outlier): the
        # one with the fewest referrals, so that it moves the system's mean least.
        busy_rng = random.Random(f"{o.seed}:busy")  # noqa: S311 (not secret)
        busy = [busy_rng.uniform(*REFERRAL_INTENSITY) for _ in range(o.networks)]
        shares = [size * b for size, b in zip(sizes, busy, strict=True)]
        outlier = shares.index(min(shares)) if o.networks >= OUTLIER_FROM else None
        self.nets = []
        for n in range(o.networks):
            vocabulary, cadence, weekdays, at = CADENCES[n % len(CADENCES)]
            slug = SLUG_PREFIX + slugify(places[n])
            net = SimpleNamespace(
                n=n,
                id=net_ids[n],
                slug=slug,
                short=slug.removeprefix(SLUG_PREFIX),
                place=places[n],
                vocabulary=vocabulary,
                cadence=cadence,
                meeting_weekdays=weekdays,
                meeting_time=at,
                schedule_anchor=first_day,
                created_at=None,
                size=sizes[n] / sum(sizes),
                practices=practices[n] or [self.trust],
                homes=homes[n],
                district=n + 1,
                streets=[f"{rng.choice(STREETS)} {rng.choice(STREET_KINDS)}" for _ in range(40)],
                intensity=busy[n],
                refers_more=OUTLIER_RATE if n == outlier else 1.0,
            )
            rows.append(
                (
                    net.id, slug, f"Synthetic {net.place}", vocabulary, cadence, weekdays, at,
                    first_day, 90, dt(since),
                )
            )  # fmt: skip
            through.extend((net.id, p) for p in practices[n])
            home_links.extend((net.id, home[0]) for home in homes[n])
            services.extend(
                (net.id, s.value, s.label, list(DEFAULT_SERVING_ROLES[s]), DEFAULT_ACCEPTS[s])
                for s in Service
            )
            self.nets.append(net)
        self.copy("network", rows)
        self.copy("practices", through)
        self.copy("homes", home_links)
        self.copy("service", services)

        # Staff: users and memberships, a preference and a cover.
        password = make_password(o.password) if o.password else UNUSABLE_PASSWORD
        users, memberships, preferences, covers = [], [], [], []
        extra = max(o.staff_per_network - len(ROLES_ONCE), 0)
        roster = [*ROLES_ONCE, *(ROLES_MORE[i % len(ROLES_MORE)] for i in range(extra))]
        user_ids = iter(self.take(User, len(roster) * o.networks))
        membership_ids = iter(self.take(Membership, len(roster) * o.networks))
        for net in self.nets:
            net.staff = {}  # role -> [(user id, membership id)]
            for role in roster:
                user_id, membership_id = next(user_ids), next(membership_ids)
                number = len(net.staff.get(role, ())) + 1
                username = f"{USERNAME_PREFIX}{role}.{number}.{net.short}"
                if role == "partner_system":
                    first, last = "Discharge", "Team (system)"
                else:
                    first = rng.choice(GIVEN_FEMALE if rng.random() < 0.7 else GIVEN_MALE)
                    last = rng.choice(FAMILY)
                organisation = {
                    "chair": self.trust,
                    "gp": rng.choice(net.practices),
                    "pharmacist": rng.choice([*net.practices[:2], self.trust]),
                    "pharmacy_technician": rng.choice(net.practices),
                    "social_worker": self.council,
                    "pic": self.charity,
                    "integrated_manager": self.council,
                    "partner_system": self.hospital,
                }.get(role, self.trust)
                title = JOB_TITLES[role]
                if role == "chair" and net.vocabulary == "hub":
                    title = "Health and social care coordinator"
                users.append(
                    (
                        user_id, password, username, first, last, f"{username}@{EMAIL_DOMAIN}",
                        True, False, False, dt(since),
                    )
                )  # fmt: skip
                # Care home staff work at one of the network's homes.
                home = net.homes[0][0] if role == "care_home_staff" else None
                memberships.append(
                    (
                        membership_id,
                        user_id,
                        net.id,
                        role,
                        organisation,
                        title,
                        True,
                        dt(since),
                        home,
                    )
                )
                net.staff.setdefault(role, []).append((user_id, membership_id))
            net.chair = net.staff["chair"][0][0]
            net.chair_member = net.staff["chair"][0]
            net.partner = net.staff["partner_system"][0][0]
            net.casework = [m for role in CASEWORK for m in net.staff.get(role, ())]
            net.role_of = {uid: role for role, ms in net.staff.items() for uid, _ in ms}
            net.triagers = {
                s: [m for role in roles for m in net.staff.get(role, ())] or [net.chair_member]
                for s, roles in TRIAGERS.items()
            }
            net.holders = {role: net.staff.get(role) or [net.chair_member] for role in Role}
            net.pharmacists = net.staff.get("pharmacist") or [net.chair_member]
            preferences.append((net.pharmacists[0][0], "immediate", dt(since)))
            if len(net.pharmacists) > 1:
                away, deputy = net.pharmacists[0][0], net.pharmacists[1][0]
                covers.append(
                    (
                        net.id, away, deputy, self.today - timedelta(days=1),
                        self.today + timedelta(days=4), "Annual leave", away,
                        dt(self.E - 10 * DAY),
                    )
                )  # fmt: skip
        # A commissioner of every synthetic network (networks side by side, issue 19).
        user_id = self.take(User, 1)[0]
        username = f"{USERNAME_PREFIX}commissioner.1.{COMMISSIONER_OF}"
        users.append(
            (
                user_id, password, username, rng.choice(GIVEN_FEMALE), rng.choice(FAMILY),
                f"{username}@{EMAIL_DOMAIN}", True, False, False, dt(since),
            )
        )  # fmt: skip
        for net, membership_id in zip(
            self.nets, self.take(Membership, len(self.nets)), strict=True
        ):
            memberships.append(
                (
                    membership_id, user_id, net.id, "commissioner", None,
                    "Commissioning manager, integrated care board", True, dt(since), None,
                )
            )  # fmt: skip
        self.commissioner = username
        self.staff = len(memberships)
        self.copy("user", users)
        self.copy("membership", memberships)
        self.copy("preference", preferences)
        self.copy("cover", covers)

        # Meetings over the window and eight weeks ahead, with attendance.
        meetings, attendance = [], []
        horizon = self.today + timedelta(weeks=8)
        meeting_ids = iter(
            self.take(Meeting, sum(len(list(slots(net, first_day, horizon))) for net in self.nets))
        )
        for net in self.nets:
            net.m_ts, net.m_id, net.m_off, net.m_day = [], [], [], []
            net.next_index = None
            for slot in slots(net, first_day, horizon):
                meeting_id = next(meeting_ids)
                ts = slot.timestamp()
                k = cal.index(slot.date())
                past = ts < self.E
                cancelled = not cal.working[k] or (past and rng.random() < 0.02)
                status = "cancelled" if cancelled else ("closed" if past else "scheduled")
                meetings.append(
                    (
                        meeting_id, net.id, slot, slot, status, net.chair if past else None,
                        CANCELLED_REASONS[cal.working[k]] if cancelled else "",
                        dt(ts + 90 * 60) if status == "closed" else None,
                        dt(max(ts - 56 * DAY, since)),
                    )
                )  # fmt: skip
                if status == "closed":
                    attendance.append((meeting_id, net.chair, True))
                    for uid, _ in net.casework:
                        u = rng.random()
                        if u < 0.65:
                            attendance.append((meeting_id, uid, u < 0.55))
                if net.next_index is None and status == "scheduled":
                    net.next_index = len(net.m_ts)
                net.m_ts.append(ts)
                net.m_id.append(meeting_id)
                net.m_off.append(cancelled)
                net.m_day.append(k)
            net.positions = [0] * len(net.m_ts)
            net.held = sum(
                1 for ts, off in zip(net.m_ts, net.m_off, strict=True) if ts < self.E and not off
            )
        self.meetings = len(meetings)
        self.copy("meeting", meetings)
        self.copy("attendance", attendance)

        # The hospital's monthly admissions files: the imported admissions point at them.
        files = []
        for net in self.nets:
            net.imports = {}
        month = first_day.replace(day=1)
        while month <= self.today:
            following = month_back(month, -1)
            ts = cal.at(cal.add_working(cal.index(following), 2), 10 * HOUR)
            if ts < self.E:
                for net in self.nets:
                    files.append((net, f"admissions-{month:%Y-%m}.csv", ts, month))
            month = following
        rows = []
        for pk, (net, name, ts, month) in zip(
            self.take(AdmissionImport, len(files)), files, strict=True
        ):
            net.imports[month.year, month.month] = (pk, ts)
            rows.append((pk, net.id, name, net.chair, dt(ts), "imported", dt(ts + 600)))
        self.copy("import", rows)
        self.files = files

    def populations(self) -> None:
        """Each GP practice's registered list size per month (the denominators per 1,000
        population), recorded by the chair with the month's admissions file. Written after
        the people, from their referrals.

        ICN's people are the frail minority of a network's registered population: about
        POPULATION_PER_PERSON times as many people are registered as the system generates,
        set per network so that, over the last twelve months, the networks refer at the same
        rate per 1,000 population but for chance, except the one that refers more
        (`refers_more`): at scale the funnel of referrals per 1,000 shows it alone outside its
        limits. A network whose people are referred more often has more people registered for
        each of them (from about 22 to 38). Lists are split unevenly between the practices and
        grow slowly (POPULATION_DRIFT a month, with a little noise)."""
        o = self.o
        rng = random.Random(f"{o.seed}:population")  # noqa: S311 (not secret)
        people = [0] * len(self.nets)
        for n in self.p_net:
            people[n] += 1
        first = max(month_back(self.today.replace(day=1), 12), self.cal.dates[self.k0])
        since = self.dt(self.cal.at(self.cal.index(first), 0))
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT network_id, count(*) FROM referrals_referral "
                "WHERE network_id = ANY(%s) AND created_at >= %s GROUP BY network_id",
                [[net.id for net in self.nets], since],
            )
            referred = dict(cursor.fetchall())
        # Referrals per person registered, the same in every network (the outlier's extra
        # referrals left out).
        fair = [referred.get(net.id, 0) / net.refers_more for net in self.nets]
        rate = sum(fair) / max(POPULATION_PER_PERSON * sum(people), 1)
        # The sizes in the middle of those months sum to the network's population.
        middle = first.year * 12 + first.month + 5.5
        rows = []
        for net in self.nets:
            practices = net.practices if net.practices != [self.trust] else []
            if not practices:
                continue
            registered = max(fair[net.n] / rate if rate else 0.0, 1000.0)
            weights = [rng.uniform(0.6, 1.4) for _ in practices]
            growth = [rng.uniform(*POPULATION_DRIFT) for _ in practices]
            base = [registered * w / sum(weights) for w in weights]
            for _net, _name, ts, month in (f for f in self.files if f[0] is net):
                age = month.year * 12 + month.month - middle
                for p, size, g in zip(practices, base, growth, strict=True):
                    value = round(size * (1 + g) ** age) + rng.randint(-3, 3)
                    rows.append((p, month, max(value, 1), net.chair, self.dt(ts)))
        self.copy("population", rows)
