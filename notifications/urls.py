from django.urls import path

from . import views

app_name = "notifications"
urlpatterns = [
    path("", views.notification_list_view, name="list"),
    path("bell/", views.notification_bell_view, name="bell"),
    path("<int:pk>/read/", views.notification_read_view, name="read"),
    path("read-all/", views.notification_read_all_view, name="read_all"),
    # The footer of every notification e-mail links to this path (services._footer).
    path("settings/", views.notification_settings_view, name="settings"),
]
