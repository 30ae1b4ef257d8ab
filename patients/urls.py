from django.urls import path

from . import import_views, restricted_views, section_views, views

app_name = "patients"
urlpatterns = [
    path("", views.patient_list_view, name="list"),
    path("new/", views.patient_create_view, name="create"),
    path("import/", import_views.patient_import_view, name="import"),
    path("<int:pk>/", views.patient_detail_view, name="detail"),
    path("<int:pk>/timeline/", views.patient_timeline_view, name="timeline"),
    path("<int:pk>/summary.pdf", views.patient_summary_pdf_view, name="summary_pdf"),
    path("<int:pk>/edit/", views.patient_edit_view, name="edit"),
    path(
        "<int:pk>/clinical-notes/break-glass/",
        restricted_views.clinical_notes_break_glass_view,
        name="clinical_notes_break_glass",
    ),
    path(
        "<int:pk>/clinical-notes/restrict/",
        restricted_views.clinical_notes_restrict_view,
        name="clinical_notes_restrict",
    ),
    path("<int:pk>/consent/", section_views.patient_consent_view, name="consent"),
    path("<int:pk>/care-team/", section_views.care_team_add_view, name="care_team_add"),
    path(
        "<int:pk>/care-team/<int:member_id>/remove/",
        section_views.care_team_remove_view,
        name="care_team_remove",
    ),
    path("<int:pk>/break-glass/", section_views.break_glass_view, name="break_glass"),
    path("<int:pk>/frailty/", section_views.frailty_record_view, name="frailty_record"),
    path("<int:pk>/goals/", section_views.goal_add_view, name="goal_add"),
    path(
        "<int:pk>/goals/<int:goal_id>/outcome/",
        section_views.goal_outcome_view,
        name="goal_outcome",
    ),
    path("<int:pk>/access-log/", views.patient_access_log_view, name="access_log"),
]
