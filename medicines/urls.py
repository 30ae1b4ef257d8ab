from django.urls import path

from . import import_views, restricted_views, views

app_name = "medicines"
urlpatterns = [
    path("my-day/", views.my_day_view, name="my_day"),
    path("dmd-search/", import_views.dmd_search_view, name="dmd_search"),
    path("patients/<int:pk>/visit/", views.visit_create_view, name="visit_create"),
    path(
        "patients/<int:pk>/medicines/new/",
        views.medication_create_view,
        name="medication_create",
    ),
    path("patients/<int:pk>/gp-list/", import_views.gp_import_upload_view, name="gp_import_upload"),
    path(
        "patients/<int:pk>/gp-list/<int:import_id>/",
        import_views.gp_import_view,
        name="gp_import",
    ),
    path(
        "patients/<int:pk>/gp-list/<int:import_id>/lines/<int:line_id>/",
        import_views.gp_import_decide_view,
        name="gp_import_decide",
    ),
    path("patients/<int:pk>/reviews/new/", views.review_create_view, name="review_create"),
    path("patients/<int:pk>/dispensing/", views.dispensing_view, name="dispensing"),
    path(
        "patients/<int:pk>/visits/<int:visit_id>/news2-acknowledge/",
        views.news2_acknowledge_view,
        name="news2_acknowledge",
    ),
    path(
        "patients/<int:pk>/visits/<int:visit_id>/break-glass/",
        restricted_views.visit_break_glass_view,
        name="visit_break_glass",
    ),
    path(
        "patients/<int:pk>/visits/<int:visit_id>/restrict/",
        restricted_views.visit_restrict_view,
        name="visit_restrict",
    ),
    path("patients/<int:pk>/allocate/", views.resident_allocate_view, name="allocate"),
    path("visit/news2/", views.news2_preview_view, name="news2_preview"),
    path("visit/recommendation/", views.recommendation_view, name="recommendation"),
]
