from django.contrib.auth import views as auth_views
from django.urls import path

from .access import public

urlpatterns = [
    path(
        "login/",
        public(auth_views.LoginView.as_view(redirect_authenticated_user=True)),
        name="login",
    ),
    path("logout/", public(auth_views.LogoutView.as_view()), name="logout"),
]
