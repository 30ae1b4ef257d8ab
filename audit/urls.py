from django.urls import path

from . import views

app_name = "audit"
urlpatterns = [
    path("", views.network_access_log_view, name="log"),
    path("export.csv", views.access_trail_export_view, name="export"),
    path("break-glass/", views.break_glass_list_view, name="break_glass"),
    path("break-glass/<int:pk>/review/", views.break_glass_review_view, name="break_glass_review"),
]
