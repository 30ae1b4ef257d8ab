"""Pages for the MDT meeting (huddle / virtual ward), in the network's own words: the list of
meetings, the agenda, the chair's meeting mode (shared on screen while the team talks) and
the minutes. Reads go through huddles.selectors (clinical roles of the meeting's network;
the PIC sees the people they support, without the clinical part), writes through
huddles.services (the chair; the social notes: anyone who sees the item); every person shown
is written to the access trail in one insert per page."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from actions.models import Action
from audit.services import access_record
from core.errors import Conflict
from core.pdf import pdf_response
from networks import navigation
from networks.access import member_required
from networks.current import current_membership
from networks.roles import Role
from referrals.models import PatientFlag, RedFlag
from referrals.selectors import active_flags_for

from . import selectors, services
from .attendance import attendance_context, guests_context
from .forms import (
    ActionForm,
    AgendaAddForm,
    CancelForm,
    DecisionForm,
    ExtraMeetingForm,
    MoveForm,
    NotesForm,
    SocialNotesForm,
    rebound,
)
from .minutes import action_for as _action_for
from .minutes import agenda_shown as _agenda
from .minutes import members_labelled as _members
from .minutes import minutes_context
from .models import MEETING, AgendaItem, Meeting
from .reminders import minutes_recipients_named

# --- helpers ---------------------------------------------------------------------------------


def _when(meeting: Meeting) -> str:
    return f"{timezone.localtime(meeting.starts_at):%A %-d %B %Y, %H:%M}"


def _vary(response):
    response["Vary"] = "HX-Request"
    return response


def _meeting(request, pk: int, *, page: bool = False) -> Meeting:
    """The meeting if the caller takes part in its network's casework; 403 for other roles
    of that network, 404 for anyone outside it. `page`: a full page, whose navigation's
    counts come in the same query."""
    meeting = (
        selectors.meetings_visible_to(request.user).select_related("network", "chair").filter(pk=pk)
    )
    if page:
        meeting = navigation.annotate(request, meeting)
    meeting = meeting.first()
    if meeting is not None:
        navigation.prime(request, meeting)
        return meeting
    if selectors.meeting_in_networks_of(request.user, pk):
        raise PermissionDenied("Your role does not take part in the team's meetings.")
    raise Http404("No such meeting in your networks.")


def _chair_only(request, meeting: Meeting) -> None:
    if not request.user.has_perm("huddles.run_meeting", meeting):
        terms = meeting.network.terms
        raise PermissionDenied(f"Only the {terms['chair']} runs the {terms['meeting']}.")


def _item(meeting: Meeting, item_id: int) -> AgendaItem:
    item = selectors.agenda_item(meeting, item_id)
    if item is None:
        raise Http404("No such person on this agenda.")
    item.meeting = meeting
    return item


def _record_access(request, patients, channel: str = "page") -> None:
    access_record(
        user=request.user,
        patients=patients,
        what="meeting",
        channel=channel,
        path=request.get_full_path(),
    )


def _item_actions(item: AgendaItem, labels: dict[int, str], user) -> list[Action]:
    actions = selectors.item_actions(item, user)
    for action in actions:
        action.for_label = _action_for(action, item.meeting.network, labels)
    return actions


def _run_url(meeting, item=None) -> str:
    if item is None:
        return reverse("huddles:run", args=[meeting.pk])
    return reverse("huddles:run_item", args=[meeting.pk, item.pk])


# --- the list of meetings ------------------------------------------------------------------


@member_required
@require_GET
def meeting_list_view(request):
    return _render_list(request)


def _render_list(request, *, extra_form: ExtraMeetingForm | None = None, status: int = 200):
    membership = current_membership(request)
    network = membership.network
    terms = network.terms
    if membership.role not in selectors.MEETING_ROLES:
        raise PermissionDenied(f"Your role does not take part in the {terms['meetings']}.")
    # Meetings are scheduled by beat and when a network is created: this page only reads.
    mine = selectors.my_patient_ids(request.user, network)
    coming = selectors.meetings_coming(request.user, network, mine)
    past = selectors.meetings_past(request.user, network, coming)
    chair = membership.role == Role.CHAIR
    urgent = selectors.urgent_waiting(network) if chair else []
    for meeting in coming:
        meeting.network = network
        meeting.move_form = MoveForm(
            auto_id=f"move-{meeting.pk}-%s",
            initial={"starts_at": timezone.localtime(meeting.starts_at)},
        )
    if chair and extra_form is None:
        extra_form = ExtraMeetingForm(
            auto_id="extra-%s",
            initial={"reason": "Urgent referral" if urgent else ""},
            offered=[item.patient_id for item in urgent],
        )
    context = {
        "network": network,
        "terms": terms,
        "coming": coming,
        "past": past,
        "chair": chair,
        "urgent": urgent,
        "urgent_days": selectors.URGENT_WITHIN_WORKING_DAYS,
        "extra_form": extra_form,
    }
    return render(request, "huddles/list.html", context, status=status)


@member_required
@require_POST
def meeting_move_view(request, pk: int):
    meeting = _meeting(request, pk)
    _chair_only(request, meeting)
    form = MoveForm(request.POST)
    terms = meeting.network.terms
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect("huddles:list")
    try:
        meeting = services.meeting_move(
            meeting=meeting, starts_at=form.cleaned_data["starts_at"], by=request.user
        )
    except Conflict as exc:
        messages.error(request, exc.message)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            f"The {terms['meeting']} is moved to {_when(meeting)}; its agenda moved with it.",
        )
    return redirect("huddles:list")


@member_required
@require_POST
def meeting_cancel_view(request, pk: int):
    meeting = _meeting(request, pk)
    _chair_only(request, meeting)
    form = CancelForm(request.POST)
    terms = meeting.network.terms
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        target = services.meeting_cancel(meeting=meeting, by=request.user, reason=reason)
    except Conflict as exc:
        messages.error(request, exc.message)
        return redirect("huddles:list")
    if target is None:
        messages.warning(
            request,
            f"The {terms['meeting']} of {_when(meeting)} is cancelled. There is no next "
            f"{terms['meeting']} scheduled, so its agenda could not move.",
        )
    else:
        messages.success(
            request,
            f"The {terms['meeting']} of {_when(meeting)} is cancelled. Its agenda moved to the "
            f"{terms['meeting']} of {_when(target)}.",
        )
    return redirect("huddles:list")


# --- the agenda ----------------------------------------------------------------------------


def _render_agenda(request, meeting, *, add_form=None, status=200):
    items = _agenda(meeting, selectors.agenda_marked(request.user, meeting))
    chair = request.user.has_perm("huddles.run_meeting", meeting)
    editable = chair and MEETING.allowed(meeting, "change")
    if editable and add_form is None:
        add_form = _add_form(request, meeting, items)
    matches = getattr(add_form, "matches", [])  # a search's choices are shown: on the trail too
    _record_access(request, [item.patient for item in items] + matches)
    context = {
        "meeting": meeting,
        "network": meeting.network,
        "terms": meeting.network.terms,
        "items": items,
        "yours": sum(1 for item in items if item.yours),
        "chair": chair,
        "clinical": selectors.sees_clinical(request.user, meeting.network_id),
        "editable": editable,
        "add_form": add_form,
        # The agenda is built by beat and the meeting's writes; the chair may catch it up.
        "may_grow": editable and services.agenda_may_grow(meeting),
    }
    return render(request, "huddles/agenda.html", context, status=status)


def _add_form(request, meeting, items, data=None):
    patients = selectors.patients_to_add(request.user, meeting, [item.patient_id for item in items])
    return AgendaAddForm(data, patients=patients, auto_id="add-%s")


@member_required
@require_GET
def agenda_view(request, pk: int):
    meeting = _meeting(request, pk, page=True)
    return _render_agenda(request, meeting)


@member_required
@require_POST
def agenda_build_view(request, pk: int):
    """The chair brings the agenda up to date (beat does it every quarter of an hour)."""
    meeting = _meeting(request, pk)
    _chair_only(request, meeting)
    added = services.agenda_build(meeting=meeting, by=request.user)
    if added:
        people = "person" if len(added) == 1 else "people"
        messages.success(request, f"{len(added)} {people} added to the agenda.")
    else:
        messages.info(request, "The agenda is up to date.")
    return redirect("huddles:agenda", pk=meeting.pk)


@member_required
@require_POST
def agenda_add_view(request, pk: int):
    meeting = _meeting(request, pk)
    _chair_only(request, meeting)
    form = _add_form(request, meeting, _agenda(meeting), request.POST)
    if form.is_valid() and form.matches:  # several people match the search: choose one
        return _render_agenda(request, meeting, add_form=form)
    if form.is_valid():
        try:
            item = services.agenda_add(
                meeting=meeting,
                patient=form.cleaned_data["patient"],
                by=request.user,
                reason=form.cleaned_data["reason"],
            )
        except Conflict as exc:
            form.add_error("patient", exc.message)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"{item.patient.full_name} is on the agenda.")
            return redirect("huddles:agenda", pk=meeting.pk)
    return _render_agenda(request, meeting, add_form=form, status=422)


@member_required
@require_POST
def agenda_remove_view(request, pk: int, item_id: int):
    meeting = _meeting(request, pk)
    _chair_only(request, meeting)
    item = _item(meeting, item_id)
    try:
        services.agenda_remove(item=item, by=request.user)
    except Conflict as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{item.patient.full_name} is off the agenda.")
    return redirect("huddles:agenda", pk=meeting.pk)


@member_required
@require_POST
def agenda_move_view(request, pk: int, item_id: int):
    """Move one person up or down the agenda."""
    meeting = _meeting(request, pk)
    _chair_only(request, meeting)
    item = _item(meeting, item_id)
    ids = [i.pk for i in _agenda(meeting)]
    index = ids.index(item.pk)
    step = -1 if request.POST.get("direction") == "up" else 1
    other = index + step
    if 0 <= other < len(ids):
        ids[index], ids[other] = ids[other], ids[index]
        try:
            services.agenda_reorder(meeting=meeting, item_ids=ids, by=request.user)
        except Conflict as exc:
            messages.error(request, exc.message)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    return redirect(reverse("huddles:agenda", args=[meeting.pk]) + f"#item-{item.pk}")


# --- meeting mode --------------------------------------------------------------------------


@member_required
@require_GET
def run_view(request, pk: int):
    """Start (or go back to) the meeting: the first person not yet discussed."""
    meeting = _meeting(request, pk)
    items = _agenda(meeting, selectors.agenda_for(request.user, meeting))
    if items:
        waiting = [i for i in items if i.status == AgendaItem.Status.PENDING]
        return redirect(_run_url(meeting, (waiting or items)[0]))
    return _render_run(request, meeting, items, None)


@member_required
@require_GET
def run_item_view(request, pk: int, item_id: int):
    """One query for the meeting, its agenda, the person's last discussion and open flags
    (and the navigation's counts)."""
    queryset = selectors.agenda_with_person(request.user, pk, item_id)
    rows = list(navigation.annotate(request, queryset))
    if not rows:
        _meeting(request, pk)  # 403 or 404 unless the meeting is there and its agenda empty
        raise Http404("No such person on this agenda.")
    navigation.prime(request, rows[0])
    meeting = rows[0].meeting
    items = _agenda(meeting, rows)
    item = next((i for i in items if i.pk == item_id), None)
    if item is None:
        raise Http404("No such person on this agenda.")
    item.last = None
    if item.last_pk is not None:
        item.last = AgendaItem(
            pk=item.last_pk,
            patient_id=item.patient_id,
            decided_at=item.last_decided_at,
            decision=item.last_decision,
            next_review_on=item.last_next_review_on,
        )
    item.flags = [
        PatientFlag(patient_id=item.patient_id, flag=RedFlag(label=label), raised_at=raised_at)
        for label, raised_at in zip(item.flag_labels or [], item.flag_raised_at or [], strict=True)
    ]
    return _render_run(request, meeting, items, item)


def _since(item: AgendaItem):
    """When the person was last decided on (else 90 days ago)."""
    if hasattr(item, "last"):  # read with the agenda (run_item_view)
        last = item.last
        return (last.decided_at, last) if last else (timezone.now() - selectors.LOOK_BACK, None)
    last = selectors.last_discussion(item)
    if last is not None:
        return last.decided_at, last
    return timezone.now() - selectors.LOOK_BACK, None


def _record_form(item: AgendaItem, data=None) -> DecisionForm:
    initial = {
        "notes": item.notes,
        "version": item.version,
        "decision": item.decision,
        "next_review_on": item.next_review_on,
        "admission_avoided": item.admission_avoided,
        "decision_reason": item.decision_reason,
    }
    return DecisionForm(data, initial=initial, auto_id="record-%s")


def _social_form(item: AgendaItem, data=None) -> SocialNotesForm:
    initial = {"social_notes": item.social_notes, "social_version": item.social_version}
    return SocialNotesForm(data, initial=initial, auto_id="social-%s")


def _action_form(members, data=None) -> ActionForm:
    return ActionForm(data, members=members, auto_id="action-%s")


def _render_run(request, meeting, items, item, status=200):
    network = meeting.network
    chair = request.user.has_perm("huddles.run_meeting", meeting)
    open_ = MEETING.allowed(meeting, "change")
    writable = chair and open_
    clinical = selectors.sees_clinical(request.user, network.pk)
    if items and not hasattr(items[0], "yours"):
        mine = selectors.my_patient_ids(request.user, network)
        for each in items:
            each.yours = each.patient_id in mine
    members = _members(network, meeting)
    labels = {m.user_id: m.label for m in members}
    present = {m.user_id for m in members if m.present}
    context = {
        "meeting": meeting,
        "network": network,
        "terms": network.terms,
        "items": items,
        "item": item,
        "chair": chair,
        "writable": writable,
        "started": timezone.now() >= meeting.starts_at,
        "clinical": clinical,
        "members": members,
        "present": present,
        **guests_context(meeting, rows=getattr(item, "guest_rows", None)),
        "discussed": sum(1 for i in items if i.status == AgendaItem.Status.DISCUSSED),
    }
    if item is not None:
        selectors.seal_items(request.user, [item])  # restricted notes (patients.restricted)
        index = items.index(item)
        since, last = _since(item)
        visits, referrals, actions = selectors.since_last_discussion(request.user, item, since)
        for action in actions:
            action.for_label = _action_for(action, network, labels)
        context.update(
            {
                "previous": items[index - 1] if index > 0 else None,
                "next": items[index + 1] if index + 1 < len(items) else None,
                "position": index + 1,
                "since": since,
                "last": last,
                "visits": visits,
                "referrals": referrals,
                "flags": []
                if not clinical
                else item.flags
                if hasattr(item, "flags")
                else list(active_flags_for(item.patient)),
                "actions": actions,
                "item_actions": [a for a in actions if a.agenda_item_id == item.pk],
                "form": _record_form(item) if writable else None,
                # Everyone who sees the item (the PIC too) adds to its social part.
                "social_form": _social_form(item) if open_ else None,
                "action_form": _action_form(members) if writable else None,
            }
        )
    _record_access(request, [each.patient for each in items])
    return _vary(render(request, "huddles/run.html", context, status=status))


def _writable_item(request, pk: int, item_id: int) -> AgendaItem:
    meeting = _meeting(request, pk)
    _chair_only(request, meeting)
    return _item(meeting, item_id)


def _fragment(request, name: str, context: dict, status: int = 200):
    return _vary(render(request, f"huddles/run.html#{name}", context, status=status))


def _agenda_oob(request, meeting, item) -> dict:
    """The agenda again, swapped in out of band after a decision: its counter and tags."""
    items = _agenda(meeting, selectors.agenda_for(request.user, meeting))
    mine = selectors.my_patient_ids(request.user, meeting.network)
    for each in items:
        each.yours = each.patient_id in mine
    done = sum(1 for each in items if each.status == AgendaItem.Status.DISCUSSED)
    # Where to go from the confirmation: the next person waiting (after this one first), or
    # the close once no one waits and the meeting has started.
    at = next((i for i, each in enumerate(items) if each.pk == item.pk), 0)
    waiting = [e for e in items[at + 1 :] + items[:at] if e.status == AgendaItem.Status.PENDING]
    started = timezone.now() >= meeting.starts_at
    return {"oob": True, "items": items, "discussed": done, "then": waiting[:1], "started": started}


def _record_fragment(
    request, item, *, form=None, conflict=None, saved=None, status=200, decided=False
):
    context = {
        "meeting": item.meeting,
        "terms": item.meeting.network.terms,
        "item": item,
        "writable": True,
        "form": form or _record_form(item),
        "conflict": conflict,
        "saved": saved,
        **(_agenda_oob(request, item.meeting, item) if decided else {}),
    }
    return _fragment(request, "record", context, status)


@member_required
@require_POST
def notes_view(request, pk: int, item_id: int):
    """Autosave of the discussion notes: the new version back, or 409 and the other text."""
    item = _writable_item(request, pk, item_id)
    if request.POST.get("take") == "theirs":
        if not request.htmx:
            return redirect(_run_url(item.meeting, item))
        return _record_fragment(request, item, saved="Their version is in the box.")
    form = NotesForm(request.POST)
    if not form.is_valid():
        if not request.htmx:
            messages.error(
                request, "The notes could not be saved: keep them under 20,000 characters."
            )
            return redirect(_run_url(item.meeting, item))
        context = {"item": item, "version": request.POST.get("version", ""), "errors": form.errors}
        return _fragment(request, "notes_state", context, status=422)
    notes = form.cleaned_data["notes"]
    version = form.edit_version()
    if notes == item.notes and version == item.version:
        saved = item  # nothing changed (a blur): no new version
    else:
        try:
            saved = services.item_update(item=item, by=request.user, version=version, notes=notes)
        except services.ItemConflict as exc:
            if not request.htmx:
                messages.error(request, exc.message)
                return redirect(_run_url(item.meeting, item))
            context = {"item": item, "theirs": exc.item, "version": version}
            return _fragment(request, "notes_conflict", context, status=409)
        except Conflict as exc:
            if not request.htmx:
                messages.error(request, exc.message)
                return redirect(_run_url(item.meeting, item))
            context = {"item": item, "version": version, "message": exc.message}
            return _fragment(request, "notes_state", context, status=409)
    if not request.htmx:
        messages.success(request, "Notes saved.")
        return redirect(_run_url(item.meeting, item))
    context = {"item": saved, "version": saved.version, "saved_at": saved.updated_at, "oob": True}
    return _fragment(request, "notes_state", context)


def _decision_message(item, terms) -> str:
    if item.decision == AgendaItem.Decision.DISCHARGE:
        return (
            f"{item.patient.full_name} is discharged from the {terms['meeting']}. Admission "
            f"avoided: {item.get_admission_avoided_display().lower()}."
        )
    return f"{item.patient.full_name} continues; next review {item.next_review_on:%-d %B %Y}."


@member_required
@require_POST
def decision_view(request, pk: int, item_id: int):
    item = _writable_item(request, pk, item_id)
    terms = item.meeting.network.terms
    form = DecisionForm(request.POST, auto_id="record-%s")
    status = 422
    conflict = None
    if form.is_valid():
        data = form.cleaned_data
        discharge = data["decision"] == AgendaItem.Decision.DISCHARGE
        # The notes come with a decision from the page (htmx); a decision's own form alone
        # (without JavaScript) leaves them as saved.
        notes = {"notes": data["notes"]} if "notes" in request.POST else {}
        try:
            decided = services.item_update(
                item=item,
                by=request.user,
                version=data["version"],
                **notes,
                decision=data["decision"],
                next_review_on=None if discharge else data["next_review_on"],
                admission_avoided=data["admission_avoided"] if discharge else "",
                decision_reason=data["decision_reason"].strip() if discharge else "",
            )
        except services.ItemConflict as exc:
            # Keep what this editor entered; show the other version; a second press keeps it.
            conflict = exc.item
            form = rebound(DecisionForm, request.POST, "record-%s", version=exc.item.version)
            status = 409
        except Conflict as exc:
            form.add_error(None, exc.message)
            status = 409
        except ValidationError as exc:
            for name, errors in exc.message_dict.items():
                form.add_error(name if name in form.fields else None, errors)
        else:
            message = _decision_message(decided, terms)
            if not request.htmx:
                messages.success(request, message)
                return redirect(_run_url(item.meeting, item))
            decided.meeting = item.meeting
            return _record_fragment(request, decided, saved=message, decided=True)
    if not request.htmx:
        messages.error(
            request,
            "The decision was not recorded: "
            + " ".join(e for errors in form.errors.values() for e in errors),
        )
        return redirect(_run_url(item.meeting, item))
    form.focus_first_error()
    return _record_fragment(request, item, form=form, conflict=conflict, status=status)


@member_required
@require_POST
def action_add_view(request, pk: int, item_id: int):
    item = _writable_item(request, pk, item_id)
    members = _members(item.meeting.network)
    labels = {m.user_id: m.label for m in members}
    form = _action_form(members, request.POST)
    status = 422
    if form.is_valid():
        try:
            action = services.meeting_action_add(
                item=item,
                by=request.user,
                title=form.cleaned_data["title"],
                due_on=form.cleaned_data["due_on"],
                **form.assignment(),
            )
        except Conflict as exc:
            form.add_error(None, exc.message)
            status = 409
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            whom = _action_for(action, item.meeting.network, labels)
            message = f"Action added: {action.title}, for {whom}."
            if not request.htmx:
                messages.success(request, message)
                return redirect(_run_url(item.meeting, item))
            form = _action_form(members)
            form.fields["title"].widget.attrs["autofocus"] = True
            context = {
                "item": item,
                "meeting": item.meeting,
                "writable": True,
                "item_actions": _item_actions(item, labels, request.user),
                "action_form": form,
                "added": message,
            }
            return _fragment(request, "item_actions", context)
    if not request.htmx:
        messages.error(
            request,
            "The action was not added: "
            + " ".join(e for errors in form.errors.values() for e in errors),
        )
        return redirect(_run_url(item.meeting, item))
    for name in form.errors:
        if name in form.fields:
            form.fields[name].widget.attrs["autofocus"] = True
            break
    context = {
        "item": item,
        "meeting": item.meeting,
        "writable": True,
        "item_actions": _item_actions(item, labels, request.user),
        "action_form": form,
    }
    return _fragment(request, "item_actions", context, status=status)


@member_required
@require_POST
def attendance_view(request, pk: int):
    meeting = _meeting(request, pk)
    _chair_only(request, meeting)
    members = _members(meeting.network)
    ticked = set(request.POST.getlist("present"))
    for membership in members:
        services.attendance_set(
            meeting=meeting,
            user=membership.user,
            present=str(membership.user_id) in ticked,
            by=request.user,
        )
    present = {m.user_id for m in members if str(m.user_id) in ticked}
    back = request.POST.get("item", "")
    if not request.htmx:
        messages.success(request, f"Attendance saved: {len(present)} present.")
        if back.isdigit():
            return redirect(reverse("huddles:run_item", args=[meeting.pk, int(back)]))
        return redirect(_run_url(meeting))
    context = attendance_context(
        meeting, members, present, back, attendance_saved=f"Saved: {len(present)} present."
    )
    return _fragment(request, "attendance", context)


def _close_confirm(request, meeting: Meeting):
    """What closing will do, before the chair confirms: who is carried forward (not yet
    discussed) and who gets the minutes (`reminders.minutes_recipients`: those present, the
    chair, the care teams of the people discussed). Close is offered only once the meeting
    has started. Constant queries: the agenda, attendance, care teams, members."""
    network = meeting.network
    items = _agenda(meeting)
    carried = [i for i in items if i.status == AgendaItem.Status.PENDING]
    discussed = [i for i in items if i.status == AgendaItem.Status.DISCUSSED]
    recipients = minutes_recipients_named(meeting, chair_id=request.user.pk)
    started = timezone.now() >= meeting.starts_at
    _record_access(request, [item.patient for item in items])
    return render(
        request,
        "huddles/close.html",
        {
            "meeting": meeting,
            "network": network,
            "terms": network.terms,
            "carried": carried,
            "discussed": discussed,
            "recipients": recipients,
            "started": started,
            "too_early": "" if started else services.close_too_early(meeting),
        },
    )


@member_required
@require_http_methods(["GET", "POST"])
def meeting_close_view(request, pk: int):
    """GET: the confirmation (what will happen); POST: close the meeting."""
    meeting = _meeting(request, pk)
    _chair_only(request, meeting)
    terms = meeting.network.terms
    if request.method == "GET":
        if not MEETING.allowed(meeting, "close"):
            messages.info(
                request, f"This {terms['meeting']} is {meeting.get_status_display().lower()}."
            )
            return redirect("huddles:agenda", pk=meeting.pk)
        return _close_confirm(request, meeting)
    try:
        services.meeting_close(meeting=meeting, by=request.user)
    except Conflict as exc:
        messages.error(request, exc.message)
        return redirect("huddles:agenda", pk=meeting.pk)
    carried = meeting.items.filter(status=AgendaItem.Status.NOT_REACHED).count()
    text = f"The {terms['meeting']} is closed."
    if carried:
        text += (
            f" {carried} {'person' if carried == 1 else 'people'} not reached will be on the "
            f"next {terms['meeting']}\u2019s agenda."
        )
    messages.success(request, text)
    return redirect("huddles:minutes", pk=meeting.pk)


# --- minutes -------------------------------------------------------------------------------


@member_required
@require_GET
def minutes_view(request, pk: int):
    meeting = _meeting(request, pk)
    context = minutes_context(meeting, request.user)
    _record_access(request, [item.patient for item in context["items"]])
    return render(request, "huddles/minutes.html", context)


@member_required
@require_GET
def minutes_pdf_view(request, pk: int):
    """The minutes as PDF: the same people, rules and access trail as the page."""
    meeting = _meeting(request, pk)
    context = minutes_context(meeting, request.user)
    _record_access(request, [item.patient for item in context["items"]], channel="export")
    day = timezone.localdate(meeting.starts_at)
    return pdf_response(
        request, "pdf/minutes.html", context, f"minutes-{meeting.network.slug}-{day:%Y-%m-%d}.pdf"
    )
