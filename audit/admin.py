from django.contrib import admin

from .models import AccessEvent


@admin.register(AccessEvent)
class AccessEventAdmin(admin.ModelAdmin):
    """Read-only: the trail is append-only (the database refuses UPDATE and DELETE)."""

    list_display = ["at", "username", "role", "network", "patient", "what", "channel", "outcome"]
    list_filter = ["outcome", "channel", "what", "network"]
    search_fields = ["username", "patient_ref"]
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
