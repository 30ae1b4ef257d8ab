"""Reports pages: the dashboard (reports/views.py) and hospital admissions
(reports/admission_views.py), under /reports/."""

from django.urls import path

from . import (
    admission_views,
    case_finding_views,
    compare_views,
    evaluation_views,
    monthly_views,
    views,
)

app_name = "reports"
urlpatterns = [
    path("", views.dashboard_view, name="dashboard"),
    path("people/", views.people_view, name="people"),
    path("export/<slug:table>.csv", views.export_view, name="export"),
    path("networks/", compare_views.networks_view, name="networks"),
    path("monthly/", monthly_views.monthly_view, name="monthly"),
    path(
        "monthly/<int:pk>.pdf",
        monthly_views.monthly_download_view,
        {"kind": "pdf"},
        name="monthly_pdf",
    ),
    path(
        "monthly/<int:pk>.csv",
        monthly_views.monthly_download_view,
        {"kind": "csv"},
        name="monthly_csv",
    ),
    path("evaluation/", evaluation_views.evaluation_view, name="evaluation"),
    path("case-finding/", case_finding_views.case_finding_view, name="case_finding"),
    path(
        "case-finding/<int:pk>/add/",
        case_finding_views.case_finding_add_view,
        name="case_finding_add",
    ),
    path("admissions/", admission_views.admissions_view, name="admissions"),
    path("admissions/check/", admission_views.admissions_check_view, name="admissions_check"),
    path(
        "admissions/imports/<int:pk>/",
        admission_views.admission_import_view,
        name="admission_import",
    ),
    path(
        "admissions/imports/<int:pk>/import/",
        admission_views.admission_import_do_view,
        name="admission_import_do",
    ),
    path(
        "admissions/imports/<int:pk>/discard/",
        admission_views.admission_import_discard_view,
        name="admission_import_discard",
    ),
]
