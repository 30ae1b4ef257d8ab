from oauth2_provider.oauth2_validators import OAuth2Validator

UNVERIFIED_EMAIL_GROUP = "unverified-email"


class ClaimsValidator(OAuth2Validator):
    """The claims a real provider sends, per user: `email_verified` is false for users in
    the `unverified-email` group, so a test can have the provider vouch, or not."""

    oidc_claim_scope = {**OAuth2Validator.oidc_claim_scope, "uid": "profile"}

    def get_additional_claims(self, request):
        user = request.user
        return {
            "email": user.email,
            "email_verified": not user.groups.filter(name=UNVERIFIED_EMAIL_GROUP).exists(),
            "preferred_username": user.username,
            "uid": f"5550{user.pk:08d}",
            "name": user.get_full_name(),
            "given_name": user.first_name,
            "family_name": user.last_name,
        }
