"""The notification pages: the bell (polled, passive), the list, reading, and the e-mail
choice. Real PostgreSQL, the real session store, no mocks."""

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.utils import timezone

from networks.models import Membership
from notifications.models import Notification, Preference
from notifications.services import email_default, notification_send
from tests.conftest import ROLES

pytestmark = pytest.mark.django_db

LIST = "/notifications/"
BELL = "/notifications/bell/"
READ_ALL = "/notifications/read-all/"
SETTINGS = "/notifications/settings/"
HTMX = {"HTTP_HX_REQUEST": "true"}


def send(user, n: int = 1, *, prefix: str = "n", url: str = "", network=None, **kwargs):
    return [
        notification_send(
            recipient=user,
            kind="action_assigned",
            title=f"Task {prefix}{i} for you",
            occurrence=f"{prefix}-{user.pk}-{i}",
            url=url,
            network=network,
            **kwargs,
        )
        for i in range(n)
    ]


def read_url(notification) -> str:
    return f"/notifications/{notification.pk}/read/"


@pytest.fixture
def me(client, member):
    user = member("pharmacist")
    client.force_login(user)
    return user


# --- who may use the pages ------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_every_role_uses_the_pages(client, member, network, role):
    user = member(role)
    (mine,) = send(user, network=network)
    client.force_login(user)
    assert client.get(LIST).status_code == 200
    assert client.get(BELL, **HTMX).status_code == 200
    assert client.get(SETTINGS).status_code == 200
    assert client.post(SETTINGS, {"email": "immediate"}).status_code == 302
    assert client.post(read_url(mine)).status_code == 302
    assert client.post(READ_ALL).status_code == 302


@pytest.mark.parametrize(
    ("method", "url"),
    [("get", LIST), ("get", BELL), ("get", SETTINGS), ("post", SETTINGS), ("post", READ_ALL)],
)
def test_anonymous_goes_to_login(client, method, url):
    response = getattr(client, method)(url)
    assert response.status_code == 302
    assert (
        response["Location"].startswith(f"{settings.LOGIN_URL}")
        or "/accounts/login/" in (response["Location"])
    )


def test_anonymous_read_goes_to_login_and_reads_nothing(client, member):
    (theirs,) = send(member("gp"))
    response = client.post(read_url(theirs))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_without_an_active_membership_403(client, member):
    user = member("pharmacist")
    Membership.objects.filter(user=user).update(is_active=False, deactivated_at=timezone.now())
    client.force_login(user)
    for url in (LIST, SETTINGS):
        assert client.get(url).status_code == 403
    assert client.post(READ_ALL).status_code == 403
    assert client.get(BELL).status_code == 403
    # The bell's poll from a page opened before: no 403 page, and polling stops.
    assert client.get(BELL, **HTMX).status_code == 286


def test_wrong_methods(client, me):
    (mine,) = send(me)
    assert client.get(read_url(mine)).status_code == 405
    assert client.get(READ_ALL).status_code == 405
    assert client.post(BELL).status_code == 405
    assert client.post(LIST).status_code == 405


# --- only one's own -------------------------------------------------------------------------


def test_another_members_notification_is_404(client, me, member):
    (theirs,) = send(member("gp"), url="/patients/")
    assert client.post(read_url(theirs), {"open": "1"}).status_code == 404
    assert client.post(read_url(theirs), **HTMX).status_code == 404
    assert client.post("/notifications/999999/read/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_the_list_shows_only_mine_newest_first(client, me, member):
    send(member("gp"), prefix="theirs")
    send(me, 2)
    body = client.get(LIST).content.decode()
    assert "theirs" not in body
    assert body.index("Task n1 for you") < body.index("Task n0 for you")


# --- the list -------------------------------------------------------------------------------


def test_list_shows_unread_network_time_and_cover(client, me, member, network):
    away = member("gp")
    away.first_name, away.last_name = "Ada", "Away"
    away.save()
    (unread,) = send(me, network=network, body="Call Mrs Okafor about her dosette box")
    covering = Notification.objects.create(
        recipient=me,
        key="cover-1",
        kind="action_assigned",
        title="Covering for Ada Away: A task for Ada",
        covering_for=away,
        network=network,
        read_at=timezone.now(),
    )
    html = client.get(LIST).content.decode()
    item = _item(html, unread)
    assert "notification--unread" in item and "Unread" in item
    assert "Call Mrs Okafor about her dosette box" in item
    assert "Thornton Heath" in item
    local = timezone.localtime(unread.created_at)
    assert f"{local:%H:%M}" in item and "Just now" in item
    cover = _item(html, covering)
    assert "notification--unread" not in cover
    assert "Covering for Ada Away" in cover
    # The name is said once, as a tag, not again at the front of the title.
    assert "A task for Ada" in cover and "Covering for Ada Away: A task" not in cover


def _item(html: str, notification) -> str:
    start = html.rindex("<li", 0, html.index(f'id="notification-{notification.pk}"'))
    return html[start : html.index("</li>", start)]


def test_relative_time(client, me):
    (old,) = send(me)
    Notification.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=3))
    assert "3\xa0hours ago" in _item(client.get(LIST).content.decode(), old)


def test_filter_unread_and_pagination(client, me):
    older = send(me, 30, prefix="a")
    Notification.objects.filter(pk__in=[n.pk for n in older[:5]]).update(read_at=timezone.now())
    all_page = client.get(LIST).content.decode()
    assert "30 notifications, showing 1 to 25" in all_page
    unread_page = client.get(LIST, {"show": "unread"}).content.decode()
    assert "25 unread notifications." in unread_page
    assert 'href="/notifications/?show=unread" aria-current="page"' in unread_page
    assert "Task a0 for you" not in unread_page  # read
    second = client.get(LIST, {"page": 2}).content.decode()
    assert "showing 26 to 30" in second and "Task a0 for you" in second
    assert 'href="?show=unread&amp;page=2"' not in unread_page  # one page only


def test_empty_states(client, me):
    assert "You have no notifications yet" in client.get(LIST).content.decode()
    assert (
        "You have no unread notifications" in client.get(LIST, {"show": "unread"}).content.decode()
    )


# --- reading --------------------------------------------------------------------------------


def test_open_marks_read_and_follows_the_link(client, me):
    (mine,) = send(me, url="/patients/#tasks")
    response = client.post(read_url(mine), {"open": "1"})
    assert response.status_code == 302 and response["Location"] == "/patients/#tasks"
    mine.refresh_from_db()
    assert mine.read_at is not None


def test_mark_read_without_opening_returns_to_the_list(client, me):
    (mine,) = send(me, url="/patients/")
    response = client.post(read_url(mine), {"back": "/notifications/?show=unread&page=2"})
    assert response["Location"] == "/notifications/?show=unread&page=2"
    response = client.post(read_url(mine), {"back": "https://evil.example/notifications/"})
    assert response["Location"] == "/notifications/"
    response = client.post(read_url(mine), {"back": "/patients/"})
    assert response["Location"] == "/notifications/"
    mine.refresh_from_db()
    assert mine.read_at is not None


def test_reading_twice_keeps_the_first_time(client, me):
    (mine,) = send(me)
    client.post(read_url(mine))
    mine.refresh_from_db()
    first = mine.read_at
    client.post(read_url(mine))
    mine.refresh_from_db()
    assert mine.read_at == first


def test_mark_read_with_htmx_swaps_the_item_and_the_bell(client, me):
    mine, _other = send(me, 2, url="/patients/")
    response = client.post(read_url(mine), {"back": LIST}, **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="notification-{mine.pk}"' in html and "notification--unread" not in html
    assert 'id="notification-bell"' in html and 'hx-swap-oob="true"' in html
    assert 'aria-label="Notifications, 1 unread"' in html
    assert re.search(r'id="notifications-unread-count" hx-swap-oob="true">1<', html)


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example/patients/",
        "//evil.example/patients/",
        "/\\evil.example/patients/",
        "\\\\evil.example",
        "/\t/evil.example",
        "javascript:alert(1)",
        "patients/1/",
        "http://testserver/patients/",  # even this site: only paths are stored
    ],
)
def test_open_never_leaves_the_site(client, me, url):
    (mine,) = send(me, url=url)
    html = client.get(LIST).content.decode()
    assert 'name="open"' not in _item(html, mine)  # not offered as a link
    response = client.post(read_url(mine), {"open": "1"})
    assert response.status_code == 302 and response["Location"] == "/notifications/"
    mine.refresh_from_db()
    assert mine.read_at is not None


def test_read_all_marks_only_mine(client, me, member):
    send(me, 3)
    (theirs,) = send(member("gp"))
    response = client.post(READ_ALL, {"back": "/notifications/?show=unread"})
    assert response.status_code == 302 and response["Location"] == "/notifications/?show=unread"
    assert not Notification.objects.filter(recipient=me, read_at__isnull=True).exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None
    page = client.get(LIST).content.decode()
    assert "3 notifications marked as read." in page
    assert "Mark all as read" not in page
    client.post(READ_ALL)
    assert "You had no unread notifications." in client.get(LIST).content.decode()


# --- the bell -------------------------------------------------------------------------------


def test_bell_on_every_page_with_the_unread_count(client, me):
    send(me, 3)
    html = client.get("/patients/").content.decode()
    assert 'id="notification-bell"' in html
    assert 'aria-label="Notifications, 3 unread"' in html
    assert '<span class="bell__badge" aria-hidden="true">3</span>' in html
    assert 'hx-get="/notifications/bell/?shown=3"' in html
    assert 'id="notification-bell-status" class="nhsuk-u-visually-hidden" role="status"' in html


def test_bell_without_unread(client, me):
    html = client.get("/patients/").content.decode()
    assert 'aria-label="Notifications"' in html and "bell__badge" not in html


def test_no_bell_for_the_logged_out_or_those_without_a_membership(client, member):
    assert 'id="notification-bell"' not in client.get("/accounts/login/").content.decode()
    user = member("pharmacist")
    Membership.objects.filter(user=user).update(is_active=False, deactivated_at=timezone.now())
    client.force_login(user)
    assert 'id="notification-bell"' not in client.get(LIST).content.decode()


def test_bell_fragment(client, me, settings):
    settings.ICN_BELL_POLL_SECONDS = 7
    send(me, 3)
    html = client.get(BELL, {"shown": "3"}, **HTMX).content.decode()
    assert "<html" not in html
    assert 'aria-label="Notifications, 3 unread"' in html
    assert 'hx-trigger="every 7s"' in html and 'hx-swap="outerHTML"' in html
    # Nothing new since the page showed 3: the status region is emptied, nothing announced.
    status = re.search(
        r'<span id="notification-bell-status" hx-swap-oob="innerHTML">(.*?)</span>', html
    )
    assert status and status.group(1) == ""
    html = client.get(BELL, {"shown": "2"}, **HTMX).content.decode()
    assert "New notification. 3 unread." in html
    for junk in ("", "x", "-4"):
        assert client.get(BELL, {"shown": junk}, **HTMX).status_code == 200


def test_bell_shows_99_plus(client, me):
    send(me, 101)
    html = client.get(BELL, **HTMX).content.decode()
    assert ">99+<" in html and 'aria-label="Notifications, 101 unread"' in html


def _session(client) -> Session:
    return Session.objects.get(session_key=client.cookies[settings.SESSION_COOKIE_NAME].value)


def _age_session(client, minutes_left: int) -> Session:
    session = _session(client)
    session.expire_date = timezone.now() + timedelta(minutes=minutes_left)
    session.save()
    return session


def test_polling_does_not_keep_an_idle_session_alive(client, me):
    client.get(LIST)  # a normal page first (sets the login time)
    before = _age_session(client, 5).expire_date
    response = client.get(BELL, **HTMX)
    assert response.status_code == 200
    assert settings.SESSION_COOKIE_NAME not in response.cookies  # no renewed cookie
    assert _session(client).expire_date == before  # no later expiry
    assert "Cookie" in response["Vary"]
    # A page the member asks for renews it, as before.
    response = client.get(LIST)
    assert settings.SESSION_COOKIE_NAME in response.cookies
    assert _session(client).expire_date > before + timedelta(minutes=20)


def test_polling_does_not_save_session_changes(client, me):
    """Even the first request after login (which records the login time) is not saved."""
    session = _session(client)
    before = session.get_decoded()
    client.get(BELL, **HTMX)
    assert _session(client).get_decoded() == before


def test_poll_after_the_session_expired_stops_polling(client, me):
    send(me, 2)
    client.get(LIST)
    _age_session(client, -1)  # the idle timeout has passed
    response = client.get(BELL, {"shown": "2"}, **HTMX)
    assert response.status_code == 286  # htmx stops polling
    assert "HX-Redirect" not in response  # no login page in the header, no page change
    html = response.content.decode()
    assert 'id="notification-bell"' in html and 'href="/notifications/"' in html
    assert "hx-get" not in html and "hx-trigger" not in html
    assert 'aria-label="Notifications"' in html and "bell__badge" not in html
    assert "<form" not in html  # not the login page
    # The stale cookie is cleared; the next page asks for a login.
    assert client.get(LIST).status_code == 302


def test_poll_after_logout_stops_polling(client, me):
    client.post("/accounts/logout/")
    assert client.get(BELL, **HTMX).status_code == 286


# --- e-mail preference ----------------------------------------------------------------------


def test_settings_show_the_default_and_the_address(client, me):
    html = client.get(SETTINGS).content.decode()
    assert me.email in html
    assert re.search(rf'value="{email_default()}"[^>]*checked', html)
    assert "Straight away" in html and "One e-mail at 07:30 on working days" in html


def test_settings_default_from_configuration(client, me, settings):
    settings.ICN_NOTIFY = {**settings.ICN_NOTIFY, "EMAIL_DEFAULT": "immediate"}
    assert re.search(r'value="immediate"[^>]*checked', client.get(SETTINGS).content.decode())


def test_settings_save_the_choice(client, me):
    response = client.post(SETTINGS, {"email": "immediate"})
    assert response.status_code == 302 and response["Location"] == SETTINGS
    assert Preference.objects.get(user=me).email == "immediate"
    html = client.get(SETTINGS).content.decode()
    assert re.search(r'value="immediate"[^>]*checked', html)
    assert "Your e-mail choice is saved." in html
    client.post(SETTINGS, {"email": "digest"})
    assert Preference.objects.get(user=me).email == "digest"


@pytest.mark.parametrize("data", [{}, {"email": "weekly"}, {"email": ""}])
def test_settings_refuse_bad_input_and_save_nothing(client, me, data):
    response = client.post(SETTINGS, data)
    assert response.status_code == 422
    html = response.content.decode()
    assert "There is a problem" in html
    assert "Choose straight away or one e-mail in the morning." in html
    assert not Preference.objects.filter(user=me).exists()


def test_settings_without_an_email_address(client, me, network):
    me.email = ""
    me.save()
    html = client.get(SETTINGS).content.decode()
    assert "We cannot e-mail you" in html
    assert "network facilitator" in html  # who to ask, in the network's vocabulary


# --- query counts ---------------------------------------------------------------------------

# The page's own queries are few (the page, the rows, the unread count); the rest is the
# header every page shares. What matters is that the count is the same with many rows.
MAX_QUERIES = 8


@pytest.mark.parametrize(
    ("url", "extra"),
    [(LIST, {}), (LIST + "?show=unread", {}), (BELL, HTMX)],
    ids=["list", "unread", "bell"],
)
def test_queries_do_not_grow_with_rows(
    client, me, member, network, url, extra, django_assert_max_num_queries
):
    away = member("gp")
    send(me, 2, network=network)
    Notification.objects.create(
        recipient=me, key="c0", kind="t", title="t", covering_for=away, network=network
    )
    client.get(LIST)
    with django_assert_max_num_queries(MAX_QUERIES) as few:
        assert client.get(url, **extra).status_code == 200
    send(me, 40, prefix="more", network=network)
    for i in range(5):
        Notification.objects.create(
            recipient=me, key=f"c{i + 1}", kind="t", title="t", covering_for=away, network=network
        )
    with django_assert_max_num_queries(MAX_QUERIES) as many:
        assert client.get(url, **extra).status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)


def test_the_bell_poll_is_cheap(client, me, django_assert_max_num_queries):
    send(me, 3)
    # The session, the user, their memberships, the count.
    with django_assert_max_num_queries(4):
        client.get(BELL, {"shown": "3"}, **HTMX)
