from django.contrib.auth import views as auth_views
from django.urls import path

from networks.access import public

urlpatterns = [
    # login/ is accounts.urls (password, then the second factor).
    path("logout/", public(auth_views.LogoutView.as_view()), name="logout"),
]
