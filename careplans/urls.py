from django.urls import path

from . import views

app_name = "careplans"
urlpatterns = [
    path("patients/<int:pk>/edit/", views.care_plan_edit_view, name="edit"),
]
