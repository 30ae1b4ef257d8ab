"""Django calls `password_changed(password, user)` on every configured password validator
whenever a password is set and the user saved (`set_password` then `save`: the admin's
password pages, the password-change form, `changepassword`, `createsuperuser`, seed_demo).
Django's own rehash on login does not count as a change. That is the one point every path
goes through, so the account's API tokens are revoked there."""


class RevokeTokensOnPasswordChange:
    def validate(self, password, user=None):
        return None  # not a rule about passwords

    def password_changed(self, password, user=None):
        if user is not None and user.pk is not None:
            from .services import tokens_revoke_all

            tokens_revoke_all(user=user, by=user)

    def get_help_text(self):
        return "Changing the password ends every API token of the account."
