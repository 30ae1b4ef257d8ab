"""Pages for notifications: the bell in the header (polled by htmx), the list of a member's
notifications, and how they want them e-mailed. A member only ever sees and reads their own
notifications (notifications.selectors.notifications_for); writes go through
notifications.services."""

from datetime import timedelta
from functools import wraps
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.timesince import timesince
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.middleware import passive_session
from networks.access import member_required
from networks.selectors import active_memberships

from .models import Preference
from .selectors import notifications_for, unread_count
from .services import (
    email_default,
    notification_mark_read,
    notifications_mark_all_read,
    preference_set,
)

PAGE_SIZE = 25
_MINUTE = timedelta(minutes=1)
# htmx stops polling an element when the response has this status.
STOP_POLLING = 286


def poll_seconds() -> int:
    return getattr(settings, "ICN_BELL_POLL_SECONDS", 30)


def same_site(url: str, request) -> str | None:
    """`url` if it is a path on this site (the only kind a notification may send a member
    to), else None: no scheme, no host, no protocol-relative or backslash tricks."""
    if not url or not url.startswith("/") or url.startswith("//"):
        return None
    if "\\" in url or any(ch.isspace() or ord(ch) < 32 for ch in url):
        return None
    if not url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}):
        return None
    return url


# --- the bell -------------------------------------------------------------------------------


def _bell_context(count: int, *, shown: int | None = None) -> dict:
    return {
        "notifications_unread": count,
        "bell_poll_seconds": poll_seconds(),
        # Announced (politely) only when the count has gone up since the last poll.
        "bell_news": shown is not None and count > shown,
    }


def _stop_polling_when_signed_out(view):
    """An htmx poll from a page whose session has ended (idle timeout, logged out elsewhere,
    membership ended): a plain bell without a count, and htmx stops polling. The page is
    left as it is, rather than swapping a login page into the header or taking the member
    away from a half-written form; their next click goes to the login page."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.htmx and not active_memberships(request.user):
            return render(request, "notifications/bell.html#signed_out", status=STOP_POLLING)
        return view(request, *args, **kwargs)

    return wrapped


@passive_session
@_stop_polling_when_signed_out
@member_required
@require_GET
def notification_bell_view(request):
    """The bell, as htmx polls it. Passive: polling does not renew the session."""
    try:
        shown = max(int(request.GET.get("shown", "")), 0)
    except ValueError:
        shown = None
    count = unread_count(request.user)
    context = _bell_context(count, shown=shown)
    return render(request, "notifications/bell.html#poll", context)


# --- the list -------------------------------------------------------------------------------


def _name(user) -> str:
    return user.get_full_name() or user.get_username()


def _prepare(notifications, request) -> None:
    """What each item shows beyond its row (no queries: network and covering_for are
    selected with it)."""
    now = timezone.now()
    for n in notifications:
        n.ago = timesince(n.created_at, now, depth=1) if now - n.created_at >= _MINUTE else ""
        n.opens = bool(same_site(n.url, request))
        n.display_title = n.title
        if n.covering_for_id:
            n.covering_name = _name(n.covering_for)
            n.display_title = n.title.removeprefix(f"Covering for {n.covering_name}: ")


def _list_url(show: str) -> str:
    url = reverse("notifications:list")
    return f"{url}?{urlencode({'show': 'unread'})}" if show == "unread" else url


def _back(request) -> str:
    """Where to return to on the list after a read without opening (the page the member
    was on, if it is the list)."""
    back = same_site(request.POST.get("back", ""), request)
    if back and back.startswith(reverse("notifications:list")):
        return back
    return reverse("notifications:list")


@member_required
@require_GET
def notification_list_view(request):
    show = "unread" if request.GET.get("show") == "unread" else "all"
    notifications = notifications_for(request.user).select_related("network", "covering_for")
    if show == "unread":
        notifications = notifications.filter(read_at__isnull=True)
    page = Paginator(notifications, PAGE_SIZE).get_page(request.GET.get("page"))
    items = list(page.object_list)
    _prepare(items, request)
    unread = unread_count(request.user)
    return render(
        request,
        "notifications/list.html",
        {
            "page": page,
            "items": items,
            "show": show,
            "query": "show=unread&" if show == "unread" else "",
            "notifications_unread": unread,  # the bell too: no second count
            "all_url": _list_url("all"),
            "unread_url": _list_url("unread"),
        },
    )


@member_required
@require_POST
def notification_read_view(request, pk: int):
    """Mark one of the member's own notifications read; then open what it is about (only a
    path on this site), or, from the "Mark as read" button, stay on the list."""
    notification = get_object_or_404(
        notifications_for(request.user).select_related("network", "covering_for"), pk=pk
    )
    notification_mark_read(notification=notification, by=request.user)
    target = same_site(notification.url, request)
    if "open" in request.POST and target:
        return redirect(target)
    if request.htmx:
        _prepare([notification], request)
        count = unread_count(request.user)
        context = {"n": notification, "back": _back(request), **_bell_context(count)}
        return render(request, "notifications/list.html#read", context)
    return redirect(_back(request))


@member_required
@require_POST
def notification_read_all_view(request):
    count = notifications_mark_all_read(user=request.user)
    if count:
        messages.success(
            request, f"{count} notification{'s' if count != 1 else ''} marked as read."
        )
    else:
        messages.info(request, "You had no unread notifications.")
    return redirect(_back(request))


# --- e-mail preference ----------------------------------------------------------------------


def digest_time() -> str:
    """When the morning digest goes (from the beat schedule), e.g. "07:30"."""
    try:
        schedule = settings.CELERY_BEAT_SCHEDULE["morning-digest"]["schedule"]
        return f"{min(schedule.hour):02d}:{min(schedule.minute):02d}"
    except (AttributeError, KeyError, TypeError, ValueError):
        return "07:30"


class PreferenceForm(forms.Form):
    email = forms.ChoiceField(
        label="When should we e-mail you?",
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose straight away or one e-mail in the morning.",
            "invalid_choice": "Choose straight away or one e-mail in the morning.",
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].choices = [
            (Preference.Delivery.IMMEDIATE, "Straight away"),
            (Preference.Delivery.DIGEST, f"One e-mail at {digest_time()} on working days"),
        ]


def _current_choice(user) -> str:
    preference = Preference.objects.filter(user=user).first()
    return preference.email if preference else email_default()


@member_required
@require_http_methods(["GET", "POST"])
def notification_settings_view(request):
    if request.method == "POST":
        form = PreferenceForm(request.POST)
        if form.is_valid():
            try:
                preference_set(user=request.user, email=form.cleaned_data["email"])
            except ValidationError as error:
                form.add_error("email", error.message_dict.get("email", error.messages))
            else:
                messages.success(request, "Your e-mail choice is saved.")
                return redirect("notifications:settings")
        status = 422
    else:
        form = PreferenceForm(initial={"email": _current_choice(request.user)})
        status = 200
    return render(
        request,
        "notifications/settings.html",
        {
            "form": form,
            "digest_time": digest_time(),
            "identifiable": settings.ICN_NOTIFY["EMAIL_IDENTIFIABLE"],
        },
        status=status,
    )
