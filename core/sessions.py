"""Django's database sessions, with the save on every request (the idle timeout) as one
UPDATE statement.

Django wraps each save in `transaction.atomic()`, which a creation needs (a clash of keys
must not break the request's transaction) but an update does not: one UPDATE by primary
key is atomic on its own. Without the wrapper the renewal is one round trip rather than
three (BEGIN, UPDATE, COMMIT; or SAVEPOINT, UPDATE, RELEASE inside a transaction)."""

from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.db import router


class SessionStore(DatabaseSessionStore):
    def save(self, must_create: bool = False) -> None:
        if must_create or self.session_key is None:
            return super().save(must_create=must_create)
        # SessionBase._get_session() is missing from django-stubs.
        obj = self.create_model_instance(self._get_session())  # type: ignore[attr-defined]
        using = router.db_for_write(self.model, instance=obj)
        updated = (
            self.model._default_manager.using(using)
            .filter(session_key=obj.session_key)
            .update(session_data=obj.session_data, expire_date=obj.expire_date)
        )
        if not updated:
            raise UpdateError
