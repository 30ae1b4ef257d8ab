from django.urls import path

from . import views

app_name = "actions"
urlpatterns = [
    path("", views.my_work_view, name="my_work"),
    path("tasks/new/", views.task_new_view, name="task_new"),
    path("tasks/<int:pk>/", views.task_view, name="task"),
    path("tasks/<int:pk>/edit/", views.task_edit_view, name="task_edit"),
    path("tasks/<int:pk>/done/", views.task_done_view, name="done"),
    path("tasks/<int:pk>/claim/", views.task_claim_view, name="claim"),
    path("away/", views.cover_set_view, name="cover_set"),
    path("away/<int:pk>/end/", views.cover_end_view, name="cover_end"),
]
