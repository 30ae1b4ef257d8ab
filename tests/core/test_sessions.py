"""The session's idle renewal (core/sessions.py): an unchanged session is written again only
when its expiry would move by SESSION_RENEW_SECONDS or more, so a huddle morning's pages do
not each write and commit the session row; the idle timeout never ends later than
SESSION_IDLE_MINUTES after the last request, and a changed session is always saved."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

from core.sessions import SessionStore

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("production_renewal")]


@pytest.fixture
def production_renewal():
    with override_settings(SESSION_RENEW_SECONDS=60):
        yield


def session_writes(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return sum('UPDATE "django_session"' in q["sql"] for q in ctx.captured_queries)


def stored(client) -> Session:
    return Session.objects.get(session_key=client.session.session_key)


def test_pages_within_a_minute_of_the_last_renewal_do_not_write_the_session(client, member):
    client.force_login(member("pharmacist"))
    before = stored(client).expire_date
    assert session_writes(client, "/patients/") == 0
    assert session_writes(client, "/my-work/") == 0
    assert stored(client).expire_date == before


def test_a_page_a_minute_or_more_after_the_renewal_renews_it(client, member):
    client.force_login(member("pharmacist"))
    session = stored(client)
    idle = timedelta(seconds=settings.SESSION_COOKIE_AGE)
    # Renewed 61 seconds ago: the stored expiry is 61 s short of a full idle timeout.
    session.expire_date = timezone.now() + idle - timedelta(seconds=61)
    session.save()
    assert session_writes(client, "/patients/") == 1
    renewed = stored(client).expire_date
    assert renewed >= timezone.now() + idle - timedelta(seconds=5)
    # And the next page, straight after, leaves it alone again.
    assert session_writes(client, "/patients/") == 0
    assert stored(client).expire_date == renewed


def test_the_idle_timeout_never_ends_later_than_the_setting(client, member):
    """However the renewals fall, the stored expiry is never more than SESSION_IDLE_MINUTES
    after the last request: at most SESSION_RENEW_SECONDS before it."""
    client.force_login(member("pharmacist"))
    for _ in range(3):
        client.get("/patients/")
        expiry = stored(client).expire_date
        latest = timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE)
        assert latest - timedelta(seconds=settings.SESSION_RENEW_SECONDS) <= expiry <= latest


def test_a_changed_session_is_saved_at_once(member):
    store = SessionStore()
    store["network_id"] = 1
    store.create()
    again = SessionStore(store.session_key)
    assert again["network_id"] == 1
    again["network_id"] = 2
    again.save()
    assert SessionStore(store.session_key)["network_id"] == 2


def test_an_expired_session_is_not_renewed_back_to_life(client, member):
    client.force_login(member("pharmacist"))
    session = stored(client)
    session.expire_date = timezone.now() - timedelta(seconds=1)
    session.save()
    response = client.get("/patients/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_the_login_time_is_saved_with_the_login(client, member):
    """The absolute lifetime's start is recorded when the member logs in, not by the first
    page after (which would then have to write the session)."""
    from core.middleware import LOGIN_AT

    client.force_login(member("pharmacist"))
    assert LOGIN_AT in SessionStore(client.session.session_key).load()
