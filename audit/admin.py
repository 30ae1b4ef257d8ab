from django.contrib import admin

from .models import AccessEvent


@admin.register(AccessEvent)
class AccessEventAdmin(admin.ModelAdmin):
    """Read-only: the trail is append-only (the database refuses UPDATE and DELETE)."""

    # The person by id only: people's records (names, NHS numbers) are not in the admin.
    list_display = ["at", "username", "role", "network", "patient_id", "what", "channel", "outcome"]
    fields = [
        "at",
        "username",
        "role",
        "network",
        "patient_id",
        "patient_ref",
        "what",
        "channel",
        "outcome",
        "path",
    ]
    readonly_fields = fields
    list_filter = ["outcome", "channel", "what", "network"]
    search_fields = ["username", "patient_ref"]
    list_select_related = ["network"]
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
