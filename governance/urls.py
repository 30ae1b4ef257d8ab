from django.urls import path

from . import views

app_name = "governance"
urlpatterns = [
    path("subject-access/", views.subject_access_view, name="subject_access"),
    path(
        "subject-access/<int:pk>/",
        views.subject_access_result_view,
        name="subject_access_result",
    ),
    path(
        "subject-access/<int:pk>/bundle.json",
        views.subject_access_json_view,
        name="subject_access_json",
    ),
    path(
        "subject-access/<int:pk>/bundle.pdf",
        views.subject_access_pdf_view,
        name="subject_access_pdf",
    ),
    path("retention/", views.retention_view, name="retention"),
    path("retention/<int:pk>/erase/", views.erase_view, name="erase"),
]
