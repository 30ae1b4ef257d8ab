from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django_otp_webauthn.admin import WebAuthnCredentialAdmin
from django_otp_webauthn.models import WebAuthnCredential

from .models import SecondFactorReset
from .services import second_factor_reset
from .views import admin_login

User = get_user_model()

# The admin logs in through ICN's own login page (password, then the second factor): there
# is no password-only admin session.
admin.site.login = admin_login


@admin.action(description="Reset second factor (they set up their authenticator again)")
def reset_second_factor(modeladmin, request, queryset):
    for user in queryset:
        second_factor_reset(user=user, by=request.user)
    modeladmin.message_user(
        request,
        f"Second factor reset for {queryset.count()} account(s): each sets up an "
        "authenticator app at their next login. Their API tokens were revoked.",
        messages.SUCCESS,
    )


class ICNUserAdmin(UserAdmin):
    actions = [*(UserAdmin.actions or []), reset_second_factor]


if admin.site.is_registered(User):
    admin.site.unregister(User)
admin.site.register(User, ICNUserAdmin)

# People's passkeys, read-only but for name and confirmed (django-otp-webauthn's own admin,
# which it leaves unregistered); no public keys shown (OTP_ADMIN_HIDE_SENSITIVE_DATA).
if not admin.site.is_registered(WebAuthnCredential):
    admin.site.register(WebAuthnCredential, WebAuthnCredentialAdmin)


@admin.register(SecondFactorReset)
class SecondFactorResetAdmin(admin.ModelAdmin):
    """Who reset whose second factor, and when. Read-only (append-only in the database)."""

    list_display = ["at", "username", "by_username", "devices_removed"]
    search_fields = ["username", "by_username"]
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
