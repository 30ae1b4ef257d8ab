from django.urls import path

from . import views

urlpatterns = [
    path("login/", views.login, name="login"),
    path("login/code/", views.login_code, name="login_code"),
    path("login/authenticator/", views.login_enrol, name="login_enrol"),
    path("security/", views.security, name="account_security"),
]
