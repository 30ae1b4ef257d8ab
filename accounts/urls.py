from django.urls import path

from . import passkeys, views

urlpatterns = [
    path("login/", views.login, name="login"),
    path("login/code/", views.login_code, name="login_code"),
    path("login/authenticator/", views.login_enrol, name="login_enrol"),
    # A passkey instead of the code (JSON, for django-otp-webauthn's script).
    path("login/passkey/begin/", passkeys.login_passkey_begin, name="login_passkey_begin"),
    path("login/passkey/complete/", passkeys.login_passkey_complete, name="login_passkey_complete"),
    path("security/", views.security, name="account_security"),
    path(
        "security/passkeys/begin/", passkeys.passkey_register_begin, name="passkey_register_begin"
    ),
    path(
        "security/passkeys/complete/",
        passkeys.passkey_register_complete,
        name="passkey_register_complete",
    ),
    path("security/passkeys/name/", views.passkey_name, name="passkey_name"),
    path("security/passkeys/remove/", views.passkey_delete, name="passkey_remove"),
    path("passkeys/jsi18n/", passkeys.passkey_jsi18n, name="passkey_jsi18n"),
]
