from django.urls import path

from . import views

app_name = "webhooks"
urlpatterns = [
    path("", views.webhooks_view, name="page"),
    path("<int:pk>/remove/", views.remove_view, name="remove"),
]
