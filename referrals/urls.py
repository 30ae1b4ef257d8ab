from django.urls import path

from . import loop_views, service_views, views

app_name = "referrals"
urlpatterns = [
    path("inbox/", views.inbox_home_view, name="inbox"),
    path("inbox/<slug:service>/", views.inbox_view, name="inbox_service"),
    path("<int:pk>/accept/", views.accept_view, name="accept"),
    path("<int:pk>/decline/", views.decline_view, name="decline"),
    path("<int:pk>/complete/", loop_views.complete_view, name="complete"),
    path("<int:pk>/withdraw/", loop_views.withdraw_view, name="withdraw"),
    path("<int:pk>/add-reason/", loop_views.add_reason_view, name="add_reason"),
    path("caseload/<slug:service>/", loop_views.caseload_view, name="caseload"),
    path("criteria/", views.criteria_view, name="criteria"),
    path("services/", service_views.services_view, name="services"),
    path("services/add/", service_views.service_add_view, name="service_add"),
    path("services/<slug:code>/edit/", service_views.service_edit_view, name="service_edit"),
    path("patients/<int:pk>/refer/", views.referral_create_view, name="create"),
    path("patients/<int:pk>/flags/", views.flag_raise_view, name="flag_raise"),
    path("flags/<int:flag_id>/resolve/", views.flag_resolve_view, name="flag_resolve"),
]
