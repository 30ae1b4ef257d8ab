from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Case, Count, Exists, F, OuterRef, Q, QuerySet, Value, When, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from core.typing import User
from networks.models import Cover, Membership, Network
from networks.roles import CLINICAL_ROLES
from networks.selectors import active_memberships, covering_for, network_ids_where
from patients.involvement import RECENT_DAYS
from referrals.models import Referral
from referrals.selectors import services_served_by

from .models import Action


def actions_visible_to(user: User) -> QuerySet[Action]:
    """Every task in networks where the user's role sees clinical detail; elsewhere (the
    voluntary-sector PIC) only the tasks that are theirs: by name, their role's queue, or a
    colleague's they cover. A task's title and details are clinical more often than not."""
    return Action.objects.filter(
        Q(network_id__in=network_ids_where(user, CLINICAL_ROLES)) | actions_for_me(user)
    ).filter(network_id__in=list(active_memberships(user)))


def actions_for_me(user: User, day: date | None = None, *, in_sql: bool = False) -> Q:
    """Mine: assigned to me by name, to my role in a network I belong to, or by name to a
    colleague away whom I cover today. `in_sql`: the colleagues covered are a subquery per
    network, not a query of their own (an annotation on a page with a query budget: the
    meeting's "yours")."""
    day = day or timezone.localdate()
    mine = Q(assignee_id=user.pk)
    for network_id, membership in active_memberships(user).items():
        mine |= Q(network_id=network_id, assignee_role=membership.role)
        if in_sql:
            covered = _covers_today(user, membership.network, day).values("member_id")
            mine |= Q(network_id=network_id, assignee_id__in=covered)
    if in_sql:
        return mine
    for network_id, members in covering_for(user, day).items():
        mine |= Q(network_id=network_id, assignee_id__in=members)
    return mine


def actions_in_networks_of(user: User) -> QuerySet[Action]:
    """Any task in the user's networks, to tell "not yours" (403) from "not here" (404)."""
    return Action.objects.filter(network_id__in=list(active_memberships(user)))


# --- My work: one prioritised list per member ---------------------------------------------

FOLLOW_UP_WINDOW_DAYS = 14
COMING_UP_SHOWN = 50
REFERRALS_SHOWN = 5


@dataclass
class MyWork:
    """A member's work in one network, each open task in exactly one section: overdue, due
    today, the role queue (unclaimed, due later), follow-up visits (next 14 days), coming
    up; plus the referrals awaiting triage by the services they serve, and the colleagues
    they cover today."""

    overdue: list[Action] = field(default_factory=list)
    due_today: list[Action] = field(default_factory=list)
    role_queue: list[Action] = field(default_factory=list)
    follow_ups: list[Action] = field(default_factory=list)
    coming_up: list[Action] = field(default_factory=list)
    coming_up_more: int = 0
    totals: dict[str, int] = field(default_factory=dict)  # each list's size, shown or not
    covering: list = field(default_factory=list)  # Cover rows where the user is the deputy
    referral_services: list[str] = field(default_factory=list)
    referrals_waiting: int = 0
    referrals_oldest: list = field(default_factory=list)

    @property
    def count(self) -> int:
        """What the navigation counts: overdue, due today and unclaimed role-queue items."""
        return sum(self.totals.get(name, 0) for name in ("overdue", "due_today", "role_queue"))

    @property
    def tasks(self) -> list[Action]:
        return [
            *self.overdue,
            *self.due_today,
            *self.role_queue,
            *self.follow_ups,
            *self.coming_up,
        ]


def _covers_today(user: User, network: Network, today: date) -> QuerySet[Cover]:
    """Covers in `network` where the user deputises today (for an active member only)."""
    if network.pk not in active_memberships(user):
        return Cover.objects.none()
    return Cover.objects.filter(
        network_id=network.pk, deputy_id=user.pk, starts_on__lte=today, ends_on__gte=today
    )


def _mine_in(user: User, network: Network, covered: Iterable[Any]) -> Q:
    """Mine in one network: by name, my role's queue there, or by name to a colleague I
    cover (`covered`: user ids or a subquery). The same rule as `actions_for_me`."""
    membership = active_memberships(user).get(network.pk)
    mine = Q(assignee_id=user.pk) | Q(assignee_id__in=covered)
    if membership is not None:
        mine |= Q(assignee_role=membership.role)
    return mine


SECTIONS = ("overdue", "due_today", "role_queue", "follow_ups", "coming_up")


def my_work(user: User, network: Network, today: date, shown: int | None = None) -> MyWork:
    """The user's work in one network, in a fixed number of queries however many rows: the
    first `shown` tasks of each list (all when None; "coming up" never more than
    COMING_UP_SHOWN), each list's total in `totals`. The lists are cut in SQL (a network's
    role queue can hold hundreds of tasks, and reading them all took most of a second)."""

    work = MyWork()
    work.covering = list(
        _covers_today(user, network, today).select_related("member").order_by("ends_on", "id")
    )
    covered = [cover.member_id for cover in work.covering]
    follow_up_until = today + timedelta(days=FOLLOW_UP_WINDOW_DAYS)
    # Each open task in exactly one list, the first that fits.
    section = Case(
        When(due_on__lt=today, then=Value("overdue")),
        When(due_on=today, then=Value("due_today")),
        When(~Q(assignee_role=""), then=Value("role_queue")),
        When(source=Action.Source.VISIT, due_on__lte=follow_up_until, then=Value("follow_ups")),
        default=Value("coming_up"),
    )
    tasks = (
        Action.objects.filter(
            _mine_in(user, network, covered),
            network_id=network.pk,
            status=Action.Status.OPEN,
        )
        .select_related("patient", "assignee")
        .annotate(section=section)
        .annotate(
            place=Window(RowNumber(), partition_by=[F("section")], order_by=[F("due_on"), F("id")]),
            total=Window(Count("id"), partition_by=[F("section")]),
        )
        .order_by("due_on", "id")
    )
    if shown is not None:
        tasks = tasks.filter(place__lte=max(shown, COMING_UP_SHOWN))
    for task in tasks:
        rows = getattr(work, task.section)
        if len(rows) < (COMING_UP_SHOWN if task.section == "coming_up" else shown or task.total):
            rows.append(task)
        work.totals[task.section] = task.total
    work.coming_up_more = work.totals.get("coming_up", 0) - len(work.coming_up)
    work.referral_services = services_served_by(user, network)
    if work.referral_services:
        waiting = Referral.objects.filter(
            network_id=network.pk,
            service__in=work.referral_services,
            status=Referral.Status.NEW,
        )
        work.referrals_waiting = waiting.count()
        if work.referrals_waiting:
            work.referrals_oldest = list(
                waiting.select_related("patient").order_by("-urgency", "created_at", "id")[
                    :REFERRALS_SHOWN
                ]
            )
    return work


def my_work_count(user: User, network: Network, today: date) -> int:
    """The navigation's count, as `MyWork.count` (overdue, due today, and the role queue at
    any date), in one query: the colleagues covered today are a subquery."""
    return my_work_counted(user, network, today).count()


def my_work_counted(user: User, network: Network, today: date) -> QuerySet[Action]:
    """The tasks `my_work_count` counts (the navigation counts them in its one query)."""
    from django.contrib.postgres.expressions import ArraySubquery
    from django.db.models import BooleanField, F, Func

    # Named tasks (mine or a covered colleague's) due by today, or my role's queue at any date
    # (a task is named or queued, never both). The colleagues covered are an ARRAY(...) init
    # plan, not an IN (...) subplan, so that PostgreSQL can OR the two indexes (assignee,
    # status, due_on) and (network, assignee_role, status, due_on) rather than filter every
    # open task of the network.
    covered = ArraySubquery(_covers_today(user, network, today).values("member_id"))
    any_covered = Func(
        F("assignee_id"),
        covered,
        arg_joiner=" = ANY(",
        template="(%(expressions)s))",
        output_field=BooleanField(),
    )
    named = Q(assignee_id=user.pk) | Q(any_covered)
    mine = Q(due_on__lte=today) & named
    membership = active_memberships(user).get(network.pk)
    if membership is not None:
        mine |= Q(assignee_role=membership.role)
    return Action.objects.filter(mine, network_id=network.pk, status=Action.Status.OPEN)


def covers_in_network(network: Network, today: date) -> QuerySet[Cover]:
    """Covers in a network that have not ended (for the chair and integrated managers)."""
    return (
        Cover.objects.filter(network_id=network.pk, ends_on__gte=today)
        .select_related("member", "deputy")
        .order_by("starts_on", "id")
    )


def cover_in_networks_of(user: User, pk: int) -> Cover | None:
    """One cover in any of the user's networks, or None."""
    return (
        Cover.objects.filter(pk=pk, network_id__in=list(active_memberships(user)))
        .select_related("member", "deputy", "network")
        .first()
    )


def patient_involvement(*, memberships: list[Membership], now: datetime) -> Q:
    """The ``patient_involvement`` port (patients.involvement): a condition on Patient, a task
    about the person is the member's by name or their role's queue in that network, open or
    done in the last RECENT_DAYS."""
    recent = now - timedelta(days=RECENT_DAYS)
    condition = Q(pk__in=[])
    for membership in memberships:
        tasks = Action.objects.filter(
            patient_id=OuterRef("pk"), network_id=membership.network_id
        ).filter(Q(status=Action.Status.OPEN) | Q(done_at__gte=recent))
        mine = Q(assignee_id=membership.user_id) | Q(assignee_role=membership.role)
        condition |= Q(Exists(tasks.filter(mine)))
    return condition
