from django.urls import path

from . import sso_views

urlpatterns = [
    path("login/", sso_views.sso_start, name="oidc_authentication_init"),
    path("callback/", sso_views.sso_callback, name="oidc_authentication_callback"),
]
