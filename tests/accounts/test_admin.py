"""An administrator resets a person's second factor (lost phone): recorded, visible in the
admin, and the person enrols again at their next login."""

import pytest
from django.db import DatabaseError, transaction
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.models import AuthToken

from accounts.models import SecondFactorReset
from accounts.services import recovery_codes_make, token_issue

from .mfa import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, django_user_model):
    admin = django_user_model.objects.create_superuser("root", "root@example.nhs.uk", PASSWORD)
    client.force_login(admin)
    client.admin = admin
    return client


def test_admin_resets_a_second_factor_and_it_is_recorded(admin_client, enrolled, mfa, client):
    user, _ = enrolled("pharmacist")
    recovery_codes_make(user=user, by=user)
    token_issue(user=user)
    response = admin_client.post(
        "/admin/auth/user/", {"action": "reset_second_factor", "_selected_action": [user.pk]}
    )
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert not StaticDevice.objects.filter(user=user).exists()
    assert not AuthToken.objects.filter(user=user).exists()
    reset = SecondFactorReset.objects.get()
    assert (reset.user, reset.by, reset.devices_removed) == (user, admin_client.admin, 2)

    listing = admin_client.get("/admin/accounts/secondfactorreset/")
    assert listing.status_code == 200
    assert "pharmacist.thornton-heath" in listing.content.decode()

    # The trail cannot be edited or removed, by the admin or by anyone with SQL.
    detail = admin_client.post(f"/admin/accounts/secondfactorreset/{reset.pk}/delete/")
    assert detail.status_code == 403
    with pytest.raises(DatabaseError), transaction.atomic():
        SecondFactorReset.objects.filter(pk=reset.pk).delete()
    assert SecondFactorReset.objects.count() == 1

    # At the next login the person sets up an authenticator again.
    admin_client.post("/accounts/logout/")
    client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert client.get("/accounts/login/code/")["Location"] == "/accounts/login/authenticator/"


def test_only_superusers_reach_the_reset(client, member):
    client.force_login(member("chair"))
    response = client.post(
        "/admin/auth/user/", {"action": "reset_second_factor", "_selected_action": [1]}
    )
    assert response.status_code in (302, 403)
    assert not SecondFactorReset.objects.exists()
