"""`python -m tests.oidc_provider.seed '<json>'`: migrate the provider's database, then add
its client (ICN) and users (one process: each Django start costs a second or more).

{"client_id", "client_secret", "redirect_uri", "password",
 "users": [{"username", "email", "first_name", "last_name", "email_verified"}]}
"""

import json
import sys

import django


def seed(spec: dict) -> None:
    from django.contrib.auth.models import Group, User
    from oauth2_provider.models import Application

    from .validator import UNVERIFIED_EMAIL_GROUP

    Application.objects.create(
        name="ICN",
        client_id=spec["client_id"],
        client_secret=spec["client_secret"],
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=spec["redirect_uri"],
        algorithm=Application.RS256_ALGORITHM,
        skip_authorization=True,
    )
    unverified = Group.objects.create(name=UNVERIFIED_EMAIL_GROUP)
    for person in spec["users"]:
        user = User.objects.create_user(
            username=person["username"],
            email=person["email"],
            password=spec["password"],
            first_name=person.get("first_name", ""),
            last_name=person.get("last_name", ""),
        )
        if not person.get("email_verified", True):
            user.groups.add(unverified)


if __name__ == "__main__":
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    seed(json.loads(sys.argv[1]))
