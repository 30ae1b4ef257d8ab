"""Types the typed core shares (the kernel and every services.py and selectors.py)."""

from django.contrib.auth.models import AnonymousUser, User

# ICN keeps Django's own user model (settings set no AUTH_USER_MODEL), so a person who
# signs in is a `User`: what services take as `by` and selectors as `user`. Modules may
# import django.contrib.auth.models.User directly; it is the same type.
__all__ = ["RequestUser", "User"]

# A request's user before anyone has checked it: a person, or the anonymous user.
RequestUser = User | AnonymousUser
