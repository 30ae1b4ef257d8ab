from django.contrib import admin

from .models import RedFlag, ServiceConfig


@admin.register(RedFlag)
class RedFlagAdmin(admin.ModelAdmin):
    """The catalogue: which flags exist, what they are called and which service owns them.
    Retire a flag by unticking `active` (raised flags keep pointing at it)."""

    list_display = ["label", "code", "category", "routes_to", "default_urgency", "active"]
    list_filter = ["category", "routes_to", "default_urgency", "active"]
    search_fields = ["code", "label"]
    list_editable = ["routes_to", "default_urgency", "active"]

    def get_readonly_fields(self, request, obj=None):
        return ["code"] if obj else []  # the code is a stable identifier for partners

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ServiceConfig)
class ServiceConfigAdmin(admin.ModelAdmin):
    """A network's services: which roles triage each, and what it accepts."""

    list_display = ["network", "service", "label", "serving_roles", "active"]
    list_filter = ["network", "service", "active"]
