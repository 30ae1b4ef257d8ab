from django.contrib import admin
from django.urls import include, path

from networks import views as core_views

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("accounts/", include("accounts.auth_urls")),
    path("accounts/oidc/", include("accounts.sso_urls")),
    path("network/switch/", core_views.network_switch, name="network_switch"),
    path("patients/", include("patients.urls")),
    path("audit/", include("audit.urls")),
    path("referrals/", include("referrals.urls")),
    path("medicines/", include("medicines.urls")),
    path("meetings/", include("huddles.urls")),
    path("my-work/", include("actions.urls")),
    path("care-plans/", include("careplans.urls")),
    path("notifications/", include("notifications.urls")),
    path("reports/", include("reports.urls")),
    path("governance/", include("governance.urls")),
    path("webhooks/", include("webhooks.urls")),
    path("api/v1/", include("icn.api_urls")),
    path("fhir/R4/", include("interop.urls")),
    # Logging in (password, then the second factor) and the person's security page.
    path("accounts/", include("accounts.urls")),
    path("admin/", admin.site.urls),
]

handler400 = "core.api.bad_request"
handler404 = "core.api.not_found"
