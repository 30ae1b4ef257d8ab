from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny
from rest_framework.routers import DefaultRouter

from accounts.api import LogoutView, TokenView
from actions.api import TaskViewSet
from audit.api import AccessEventViewSet, BreakGlassViewSet
from careplans.api import CarePlanView
from governance.api import SubjectAccessView
from huddles.api import AgendaItemViewSet, MeetingViewSet
from medicines.api import (
    MedicationViewSet,
    ReviewViewSet,
    SupplyViewSet,
    VisitViewSet,
)
from medicines.import_api import DmdSearchView, MedicationImportView
from networks.api import MeView, NetworkViewSet
from notifications.api import NotificationViewSet
from patients.api import PatientViewSet
from referrals.api import NetworkServicesView, RedFlagViewSet, ReferralViewSet
from reports.api import AdmissionsAvoidedView, CaseFindingView, DashboardView
from reports.compare_api import NetworksComparisonView, NetworksTrendView
from reports.evaluation_api import EvaluationView
from reports.population_api import NetworkPopulationView, PopulationImportView
from webhooks.api import WebhookViewSet

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.include_format_suffixes = False
router.register("networks", NetworkViewSet, basename="network")
router.register("patients", PatientViewSet, basename="patient")
router.register("tasks", TaskViewSet, basename="task")
router.register("notifications", NotificationViewSet, basename="notification")
router.register("red-flags", RedFlagViewSet, basename="red-flag")
router.register("referrals", ReferralViewSet, basename="referral")
router.register("visits", VisitViewSet, basename="visit")
router.register("medications", MedicationViewSet, basename="medication")
router.register("supplies", SupplyViewSet, basename="supply")
router.register("medication-reviews", ReviewViewSet, basename="medication-review")
router.register("huddles", MeetingViewSet, basename="huddle")
router.register("access-events", AccessEventViewSet, basename="access-event")
router.register("break-glass", BreakGlassViewSet, basename="break-glass")
router.register("webhooks", WebhookViewSet, basename="webhook")

app_name = "api"
urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="token"),
    path("auth/logout/", LogoutView.as_view(), name="logout"),
    path("me/", MeView.as_view(), name="me"),
    path("subject-access/", SubjectAccessView.as_view(), name="subject-access"),
    path("networks/<slug:slug>/services/", NetworkServicesView.as_view(), name="network-services"),
    path(
        "reports/admissions-avoided/",
        AdmissionsAvoidedView.as_view(),
        name="report-admissions-avoided",
    ),
    path("dmd/", DmdSearchView.as_view(), name="dmd-search"),
    path("reports/dashboard/", DashboardView.as_view(), name="report-dashboard"),
    path("reports/networks/", NetworksComparisonView.as_view(), name="report-networks"),
    path("reports/networks/trend/", NetworksTrendView.as_view(), name="report-networks-trend"),
    path("reports/evaluation/", EvaluationView.as_view(), name="report-evaluation"),
    path("case-finding/", CaseFindingView.as_view(), name="case-finding"),
    path("populations/", NetworkPopulationView.as_view(), name="populations"),
    path("populations/import/", PopulationImportView.as_view(), name="population-import"),
    path(
        "schema/",
        SpectacularAPIView.as_view(permission_classes=[AllowAny], authentication_classes=[]),
        name="schema",
    ),
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api:schema", permission_classes=[AllowAny]),
        name="docs",
    ),
    path(
        "huddles/<int:meeting_pk>/items/<int:pk>/",
        AgendaItemViewSet.as_view({"get": "retrieve", "patch": "partial_update"}),
        name="huddle-item",
    ),
    # Routed here, not by patients' viewset: care plans sit on a floor above patients.
    path("patients/<int:pk>/care-plan/", CarePlanView.as_view(), name="patient-care-plan"),
    path(
        "patients/<int:pk>/medications/import/",
        MedicationImportView.as_view(),
        name="patient-medication-import",
    ),
    *router.urls,
]
