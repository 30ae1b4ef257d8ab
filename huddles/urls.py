from django.urls import path

from . import guest_views, restricted_views, schedule_views, social_views, views

app_name = "huddles"
urlpatterns = [
    path("", views.meeting_list_view, name="list"),
    path("new/", schedule_views.meeting_add_view, name="add"),
    path("<int:pk>/", views.agenda_view, name="agenda"),
    path("<int:pk>/move/", views.meeting_move_view, name="move"),
    path("<int:pk>/cancel/", views.meeting_cancel_view, name="cancel"),
    path("<int:pk>/agenda/", views.agenda_add_view, name="agenda_add"),
    path("<int:pk>/agenda/build/", views.agenda_build_view, name="agenda_build"),
    path("<int:pk>/items/<int:item_id>/remove/", views.agenda_remove_view, name="remove"),
    path("<int:pk>/items/<int:item_id>/reorder/", views.agenda_move_view, name="reorder"),
    path("<int:pk>/run/", views.run_view, name="run"),
    path("<int:pk>/run/<int:item_id>/", views.run_item_view, name="run_item"),
    path("<int:pk>/items/<int:item_id>/notes/", views.notes_view, name="notes"),
    path(
        "<int:pk>/items/<int:item_id>/break-glass/",
        restricted_views.item_break_glass_view,
        name="item_break_glass",
    ),
    path(
        "<int:pk>/items/<int:item_id>/restrict/",
        restricted_views.item_restrict_view,
        name="item_restrict",
    ),
    path("<int:pk>/items/<int:item_id>/decision/", views.decision_view, name="decision"),
    path(
        "<int:pk>/items/<int:item_id>/social-notes/",
        social_views.social_notes_view,
        name="social_notes",
    ),
    path("<int:pk>/items/<int:item_id>/actions/", views.action_add_view, name="action_add"),
    path("<int:pk>/attendance/", views.attendance_view, name="attendance"),
    path("<int:pk>/guests/", guest_views.guest_add_view, name="guest_add"),
    path(
        "<int:pk>/guests/<int:guest_id>/remove/", guest_views.guest_remove_view, name="guest_remove"
    ),
    path("<int:pk>/close/", views.meeting_close_view, name="close"),
    path("<int:pk>/minutes/", views.minutes_view, name="minutes"),
    path("<int:pk>/minutes.pdf", views.minutes_pdf_view, name="minutes_pdf"),
]
