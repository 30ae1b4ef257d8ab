"""Django's database sessions, with the save on every request (the idle timeout) as one
UPDATE statement, and no statement at all while the expiry would move by less than
settings.SESSION_RENEW_SECONDS.

Renewing the idle timeout wrote the session row on every request: a write and a commit
(a WAL flush) for each page, the busiest table in a huddle morning. A session whose data did
not change is now written when its stored expiry is SESSION_RENEW_SECONDS (60) or more
behind the new one: a member is logged out after 29 to 30 idle minutes, never later.

Django wraps each save in `transaction.atomic()`, which a creation needs (a clash of keys
must not break the request's transaction) but an update does not: one UPDATE by primary
key is atomic on its own. Without the wrapper the renewal is one round trip rather than
three (BEGIN, UPDATE, COMMIT; or SAVEPOINT, UPDATE, RELEASE inside a transaction)."""

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.db import router


class SessionStore(DatabaseSessionStore):
    _stored_expiry: datetime | None = None

    def _get_session_from_db(self) -> Any:
        # Missing from django-stubs, as _get_session() is.
        session = super()._get_session_from_db()  # type: ignore[misc]
        self._stored_expiry = session.expire_date if session is not None else None
        return session

    def save(self, must_create: bool = False) -> None:
        if must_create or self.session_key is None:
            return super().save(must_create=must_create)
        # SessionBase._get_session() is missing from django-stubs.
        data = self._get_session()  # type: ignore[attr-defined]
        if (
            not self.modified
            and self._stored_expiry is not None
            and self.get_expiry_date() - self._stored_expiry
            < timedelta(seconds=settings.SESSION_RENEW_SECONDS)
        ):
            return  # renewed less than SESSION_RENEW_SECONDS ago, nothing else changed
        obj = self.create_model_instance(data)
        using = router.db_for_write(self.model, instance=obj)
        updated = (
            self.model._default_manager.using(using)
            .filter(session_key=obj.session_key)
            .update(session_data=obj.session_data, expire_date=obj.expire_date)
        )
        if not updated:
            raise UpdateError
        self._stored_expiry = obj.expire_date
