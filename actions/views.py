"""Pages for tasks (htmx): My work, one prioritised list per member in the current network,
with inline Claim and Done, and Cover: a member away with a deputy. Reads go through
actions.selectors, writes through actions.services and networks.services; the people a page
shows are written to the access trail (one insert per page)."""

import datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from audit.services import access_record
from core import nhs_number
from core.errors import Conflict, NotAllowed
from core.forms import add_service_errors
from core.workdays import working_days_between
from networks.access import member_required
from networks.current import current_membership
from networks.roles import CASEWORK_ROLES, Role
from networks.selectors import covers_of, members_of, role_in
from networks.services import cover_end, cover_set
from patients.models import Patient
from patients.notices import to_section
from patients.selectors import patients_visible_to
from referrals.selectors import service_directory

from . import services
from .forms import CoverForm, DoneForm, TaskForm
from .models import Action
from .selectors import (
    FOLLOW_UP_WINDOW_DAYS,
    actions_in_networks_of,
    cover_in_networks_of,
    covers_in_network,
    my_work,
)

# Who may record cover for any member of their network (sickness, say), not only their own.
MY_WORK_SHOWN = 50  # tasks shown in each list before "Show all"
COVER_OTHERS_ROLES = frozenset({Role.CHAIR, Role.INTEGRATED_MANAGER})
NOT_CASEWORK = (
    "My work is for members who work with people\u2019s records; your role here does not."
)


def _name(user) -> str:
    return user.get_full_name() or user.get_username()


def _casework_membership(request):
    """The current network's membership when its role does casework (else 403)."""
    membership = current_membership(request)
    if membership is None or membership.role not in CASEWORK_ROLES:
        raise PermissionDenied(NOT_CASEWORK)
    return membership


def _my_work_url(anchor: str = "") -> str:
    return reverse("actions:my_work") + (f"#{anchor}" if anchor else "")


# --- how a task reads ----------------------------------------------------------------------


def _short_date(day: datetime.date, today: datetime.date) -> str:
    """ "Mon 3 Mar", with the year when it is not this year."""
    text = f"{day:%a} {day.day} {day:%b}"
    return text if day.year == today.year else f"{text} {day.year}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _relative(day: datetime.date, today: datetime.date) -> str:
    delta = (day - today).days
    if delta < 0:
        return f"Overdue by {_plural(-delta, 'day')}"
    if delta == 0:
        return "Due today"
    if delta == 1:
        return "Due tomorrow"
    return f"Due in {_plural(delta, 'day')}"


def _in_sentence(label: str) -> str:
    """A role label inside a sentence: "pharmacist", but "GP"."""
    return label if label[:2].isupper() else label[:1].lower() + label[1:]


def _annotate(task: Action, user, network, today: datetime.date) -> Action:
    """What a row shows beyond the task itself: when, whose, where from (no queries)."""
    task.overdue = task.due_on < today
    task.due_today = task.due_on == today
    task.when = _relative(task.due_on, today)
    task.due_label = _short_date(task.due_on, today)
    task.in_queue = bool(task.assignee_role)
    task.covering = False
    if task.in_queue:
        task.owner = f"{network.role_label(task.assignee_role)} queue: not yet claimed"
    elif task.assignee_id == user.pk:
        task.owner = "Yours"
        if task.claimed_from_role:
            label = _in_sentence(network.role_label(task.claimed_from_role))
            task.owner += f", claimed from the {label} queue"
    else:
        task.covering = True
        task.owner = f"Covering for {_name(task.assignee)}"
    task.source_label = {
        Action.Source.VISIT: "Visit follow-up",
        Action.Source.MEETING: f"Agreed at the {network.terms['meeting']}",
        Action.Source.REFERRAL: "From a referral",
    }.get(task.source, "")
    return task


# --- the page ------------------------------------------------------------------------------


def _cover_form(request, membership, members, data=None) -> CoverForm:
    return CoverForm(
        data,
        members=[m for m in members if m.role in CASEWORK_ROLES],
        me=request.user,
        choose_member=membership.role in COVER_OTHERS_ROLES,
        network=membership.network,
    )


def _render_page(request, membership, *, members=None, cover_form=None, status=200):
    network = membership.network
    user = request.user
    today = timezone.localdate()
    # The first MY_WORK_SHOWN of each list, with its total and a link to the rest (?show=all):
    # a network's role queue can hold hundreds, and rendering them all took seconds.
    show_all = request.GET.get("show") == "all"
    work = my_work(user, network, today, shown=None if show_all else MY_WORK_SHOWN)
    tasks = work.tasks
    for task in tasks:
        _annotate(task, user, network, today)
    directory = service_directory(network)
    for referral in work.referrals_oldest:
        referral.waited = working_days_between(timezone.localdate(referral.created_at), today)
        referral.service_label = directory[referral.service].label
    if members is None:
        members = list(members_of(network.pk))
    may_cover_others = membership.role in COVER_OTHERS_ROLES
    if may_cover_others:
        all_covers = list(covers_in_network(network, today))
        my_covers = [c for c in all_covers if c.member_id == user.pk]
        network_covers = [c for c in all_covers if c.member_id != user.pk]
    else:
        my_covers, network_covers = list(covers_of(user, network.pk)), []
    for cover in my_covers + network_covers:
        cover.under_way = cover.starts_on <= today
    people = [t.patient for t in tasks] + [r.patient for r in work.referrals_oldest]
    access_record(
        user=user,
        patients=list({p.pk: p for p in people}.values()),
        what="my_work",
        channel="page",
        path=request.get_full_path(),
    )
    context = {
        "network": network,
        "today": today,
        "work": work,
        "role_label": network.role_label(membership.role),
        "role_in_sentence": _in_sentence(network.role_label(membership.role)),
        "follow_up_days": FOLLOW_UP_WINDOW_DAYS,
        "served_labels": [directory[code].label for code in work.referral_services],
        "away_now": next((c for c in my_covers if c.under_way), None),
        "my_covers": my_covers,
        "network_covers": network_covers,
        "may_cover_others": may_cover_others,
        "cover_form": cover_form or _cover_form(request, membership, members),
        # The navigation's counts, from the lists on this page (no second query).
        "my_work_count": work.count,
        "inbox_count": work.referrals_waiting,
    }
    return render(request, "actions/my_work.html", context, status=status)


@member_required
@require_GET
def my_work_view(request):
    return _render_page(request, _casework_membership(request))


# --- claim and done (htmx inline; a plain form post without JavaScript) --------------------


def _task(request, pk: int) -> Action:
    """The task, if it is in the caller's networks (else 404) and the caller's role there
    does casework (else 403)."""
    task = (
        actions_in_networks_of(request.user)
        .select_related("patient", "network", "assignee")
        .filter(pk=pk)
        .first()
    )
    if task is None:
        raise Http404("No such task in your networks.")
    if role_in(request.user, task.network_id) not in CASEWORK_ROLES:
        raise PermissionDenied(NOT_CASEWORK)
    return task


def _fragment(request, name: str, context: dict, status: int = 200):
    response = render(request, f"actions/my_work.html#{name}", context, status=status)
    response["Vary"] = "HX-Request"
    return response


def _conflict(request, task: Action, exc: Conflict):
    """Someone acted first: say so, and what the task is now (409)."""
    fresh = Action.objects.select_related("patient", "assignee", "done_by").get(pk=task.pk)
    if request.htmx:
        return _fragment(request, "task_conflict", {"task": fresh, "message": exc.message}, 409)
    messages.error(request, f"{fresh.title} for {fresh.patient.full_name}: {exc.message}")
    return redirect(_my_work_url())


@member_required
@require_POST
def task_done_view(request, pk: int):
    task = _task(request, pk)
    if not request.user.has_perm("actions.complete_action", task):
        raise PermissionDenied(
            "Only the person the task is for, their deputy, their role or the care team may "
            "mark it done."
        )
    form = DoneForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"{task.title}: {form.errors['note'][0]}")
        return redirect(reverse("actions:task", args=[task.pk]))
    try:
        services.action_mark_done(action=task, by=request.user, note=form.cleaned_data["note"])
    except Conflict as exc:
        return _conflict(request, task, exc)
    if request.htmx:
        return _fragment(request, "task_done", {"task": task})
    messages.success(request, f"Done: {task.title} for {task.patient.full_name}.")
    return redirect(_my_work_url())


@member_required
@require_POST
def task_claim_view(request, pk: int):
    task = _task(request, pk)
    if task.assignee_role:
        allowed = request.user.has_perm("actions.claim_action", task)
    else:  # claimed already (or never in a queue): the queue's role hears who has it (409)
        queue = task.claimed_from_role
        allowed = bool(queue) and role_in(request.user, task.network_id) == queue
    if not allowed:
        label = task.assignee_role or task.claimed_from_role
        raise PermissionDenied(
            f"Only a {_in_sentence(task.network.role_label(label))} can claim this task."
            if label
            else "This task is not in a role queue."
        )
    try:
        services.action_claim(action=task, by=request.user)
    except Conflict as exc:
        return _conflict(request, task, exc)
    except NotAllowed as exc:
        raise PermissionDenied(exc.message) from exc
    if request.htmx:
        claimed = Action.objects.select_related("patient", "assignee").get(pk=task.pk)
        _annotate(claimed, request.user, task.network, timezone.localdate())
        return _fragment(request, "task_claimed", {"task": claimed})
    messages.success(request, f"Claimed: {task.title} for {task.patient.full_name} is yours.")
    return redirect(_my_work_url())


# --- cover: away with a deputy -------------------------------------------------------------


def _autofocus_first_error(form) -> None:
    for name in form.errors:
        if name in form.fields:
            form.fields[name].widget.attrs["autofocus"] = True
            return


@member_required
@require_POST
def cover_set_view(request):
    membership = _casework_membership(request)
    network = membership.network
    members = list(members_of(network.pk))
    form = _cover_form(request, membership, members, request.POST)
    status = 422
    if form.is_valid():
        data = form.cleaned_data
        away, deputy = form.away(), form.deputy_user()
        try:
            cover_set(
                network=network,
                member=away,
                deputy=deputy,
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                note=data["note"],
                by=request.user,
            )
        except Conflict as exc:
            message = exc.message
            if away.pk != request.user.pk and message.startswith("You are "):
                message = f"{_name(away)} is {message.removeprefix('You are ')}"
            form.add_error(None, message)
            status = 409
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            whose = "your work" if away.pk == request.user.pk else f"{_name(away)}\u2019s work"
            today = timezone.localdate()
            messages.success(
                request,
                f"Cover recorded: {_name(deputy)} covers {whose} from "
                f"{_short_date(data['starts_on'], today)} to "
                f"{_short_date(data['ends_on'], today)}.",
            )
            return redirect(_my_work_url("away"))
    _autofocus_first_error(form)
    return _render_page(request, membership, members=members, cover_form=form, status=status)


@member_required
@require_POST
def cover_end_view(request, pk: int):
    cover = cover_in_networks_of(request.user, pk)
    if cover is None:
        raise Http404("No such cover in your networks.")
    role = role_in(request.user, cover.network_id)
    if role not in CASEWORK_ROLES:
        raise PermissionDenied(NOT_CASEWORK)
    if cover.member_id != request.user.pk and role not in COVER_OTHERS_ROLES:
        raise PermissionDenied(
            f"Only {_name(cover.member)} or the {cover.network.terms['chair']} may end this cover."
        )
    today = timezone.localdate()
    whose = "your" if cover.member_id == request.user.pk else f"{_name(cover.member)}\u2019s"
    if cover.ends_on < today:
        messages.info(request, "That cover had already ended.")
    elif cover.starts_on >= today:
        messages.success(request, f"Cover cancelled: {_name(cover.deputy)} will not cover.")
    else:
        messages.success(
            request,
            f"Cover ended: from today {whose} tasks are no longer with {_name(cover.deputy)}.",
        )
    cover_end(cover=cover, by=request.user)
    return redirect(_my_work_url("away"))


# --- add, edit, reassign, and a task's own page --------------------------------------------


def _task_form(request, network, *, ask_person: bool, data=None, initial=None) -> TaskForm:
    members = [m for m in members_of(network.pk) if m.role in CASEWORK_ROLES]
    return TaskForm(
        data,
        initial=initial,
        members=members,
        network=network,
        roles=sorted(CASEWORK_ROLES),
        ask_person=ask_person,
    )


def _identical(request, form: TaskForm, exc: Conflict) -> None:
    """The identical open task, linked for those who may read it (else only the words)."""
    existing = exc.record
    if existing is not None and request.user.has_perm("actions.view_action", existing):
        url = reverse("actions:task", args=[existing.pk])
        form.add_error(
            "title",
            format_html('{} <a href="{}">See the open task</a>.', exc.message, url),
        )
    else:
        form.add_error("title", exc.message)


def _form_page(request, form, *, patient=None, task=None, status=200):
    _autofocus_first_error(form)
    return render(
        request,
        "actions/task_form.html",
        {"form": form, "patient": patient, "task": task},
        status=status,
    )


def _person(request, network, form) -> Patient | None:
    """The person the new task is about: ?patient= on the person's page, else the NHS
    number typed in (one of the current network's people the user may see)."""
    visible = patients_visible_to(request.user).filter(network_id=network.pk)
    if "nhs_number" not in form.fields:
        return visible.filter(pk=request.GET.get("patient")).first()
    digits = nhs_number.normalise(form.cleaned_data["nhs_number"])
    found = visible.filter(nhs_number=digits).first()
    if found is None:
        form.add_error("nhs_number", "No one with that NHS number in this network.")
    return found


@member_required
@require_http_methods(["GET", "POST"])
def task_new_view(request):
    membership = _casework_membership(request)
    network = membership.network
    patient = None
    if request.GET.get("patient"):
        patient = (
            patients_visible_to(request.user)
            .filter(network_id=network.pk, pk=request.GET["patient"])
            .first()
            if request.GET["patient"].isdigit()
            else None
        )
        if patient is None:
            raise Http404("No such person in this network.")
    ask = patient is None
    if request.method != "POST":
        form = _task_form(request, network, ask_person=ask)
        if patient is not None:
            _record(request, patient, "task_new")
        return _form_page(request, form, patient=patient)
    form = _task_form(request, network, ask_person=ask, data=request.POST)
    status = 422
    if form.is_valid() and (patient := patient or _person(request, network, form)):
        data = form.cleaned_data
        try:
            task = services.action_create(
                patient=patient,
                by=request.user,
                title=data["title"],
                due_on=data["due_on"],
                details=data["details"],
                **form.owner_kwargs(),
            )
        except Conflict as exc:
            _identical(request, form, exc)
            status = 409
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            done = f"Task added: {task.title} for {patient.full_name}."
            if ask:
                messages.success(request, done)
                return redirect(_my_work_url())
            return to_section(request, patient.pk, "tasks", done)
    return _form_page(request, form, patient=patient, status=status)


def _task_for_change(request, pk: int) -> Action:
    task = _task(request, pk)
    if not request.user.has_perm("actions.change_action", task):
        raise PermissionDenied("Your role may not change this task.")
    return task


@member_required
@require_http_methods(["GET", "POST"])
def task_edit_view(request, pk: int):
    task = _task_for_change(request, pk)
    network = task.network
    if request.method != "POST":
        initial = {
            "title": task.title,
            "due_on": task.due_on,
            "details": task.details,
            "owner": TaskForm.owner_value(task),
        }
        form = _task_form(request, network, ask_person=False, initial=initial)
        _record(request, task.patient, "task_change")
        return _form_page(request, form, patient=task.patient, task=task)
    form = _task_form(request, network, ask_person=False, data=request.POST)
    status = 422
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.action_update(
                action=task,
                by=request.user,
                title=data["title"],
                due_on=data["due_on"],
                details=data["details"],
                **form.owner_kwargs(),
            )
        except Conflict as exc:
            _identical(request, form, exc)
            status = 409
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Task saved: {data['title']}.")
            return redirect(reverse("actions:task", args=[task.pk]))
    return _form_page(request, form, patient=task.patient, task=task, status=status)


def _record(request, patient: Patient, what: str) -> None:
    access_record(
        user=request.user,
        patients=[patient],
        what=what,
        channel="page",
        path=request.get_full_path(),
    )


@member_required
@require_GET
def task_view(request, pk: int):
    task = _task(request, pk)
    if not request.user.has_perm("actions.view_action", task):
        raise PermissionDenied("Your role may not see this task.")
    _record(request, task.patient, "task")
    context = {
        "task": task,
        "done_form": DoneForm(auto_id="done-%s"),
        "may_change": request.user.has_perm("actions.change_action", task),
        "may_complete": request.user.has_perm("actions.complete_action", task),
    }
    return render(request, "actions/task_detail.html", context)
