from django.contrib import admin, messages

from .models import Membership, Network, Organisation
from .services import membership_deactivate, membership_reactivate, network_create


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "kind"]
    list_filter = ["kind"]
    search_fields = ["name", "code"]


@admin.register(Network)
class NetworkAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "vocabulary", "cadence"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["gp_practices", "care_homes"]
    fieldsets = [
        (None, {"fields": ["name", "slug"]}),
        ("Vocabulary", {"fields": ["vocabulary", "term_network", "term_meeting", "term_chair"]}),
        (
            "Meetings",
            {
                "fields": [
                    "cadence",
                    "meeting_weekdays",
                    "meeting_time",
                    "meeting_minutes",
                    "bank_holidays",
                ]
            },
        ),
        ("Area", {"fields": ["gp_practices", "care_homes"]}),
        # Legitimate relationship (docs/adr/0007-legitimate-relationship.md).
        ("Information governance", {"fields": ["involvement_required"]}),
    ]

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
        else:
            network_create(network=obj, by=request.user)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "network", "role", "organisation", "is_active"]
    list_filter = ["network", "role", "is_active"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    autocomplete_fields = ["organisation", "care_home"]
    readonly_fields = ["is_active", "deactivated_at"]
    actions = ["deactivate", "reactivate"]

    @admin.action(description="Deactivate (revokes page and API access at once)")
    def deactivate(self, request, queryset):
        for membership in queryset:
            membership_deactivate(membership=membership, by=request.user)
        messages.success(request, f"{queryset.count()} membership(s) deactivated.")

    @admin.action(description="Reactivate")
    def reactivate(self, request, queryset):
        for membership in queryset:
            membership_reactivate(membership=membership, by=request.user)
        messages.success(request, f"{queryset.count()} membership(s) reactivated.")
