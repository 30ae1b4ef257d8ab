import os

import pytest
from django.core.management import call_command
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.selectors import authenticator_of
from networks.models import Membership

from .mfa import PASSWORD, totp_code

pytestmark = pytest.mark.django_db
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def seed():
    with open(os.devnull, "w") as quiet:
        call_command("seed_demo", stdout=quiet)


def test_demo_people_get_an_authenticator_from_the_demo_secret(settings, client):
    settings.ICN_DEMO_TOTP_SECRET = SECRET
    settings.ICN_DEMO_PASSWORD = PASSWORD
    seed()
    devices = TOTPDevice.objects.count()
    people = Membership.objects.exclude(role="partner_system").values("user").distinct()
    assert devices == people.count() > 0
    partners = Membership.objects.filter(role="partner_system").select_related("user")
    assert all(authenticator_of(m.user) is None for m in partners)
    seed()  # idempotent
    assert TOTPDevice.objects.count() == devices

    # The demo runs with MFA on: a code computed from the secret logs in.
    settings.ICN_REQUIRE_MFA = True
    device = TOTPDevice.objects.get(user__username="pharmacist.thornton-heath")
    client.post("/accounts/login/", {"username": "pharmacist.thornton-heath", "password": PASSWORD})
    response = client.post("/accounts/login/code/", {"code": totp_code(device)})
    assert response.status_code == 302
    assert client.get("/patients/").status_code == 200
