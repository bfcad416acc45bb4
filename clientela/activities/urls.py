"""Pages of the activities app (namespace "activities"), included at the site root."""

from django.urls import path

from clientela.activities import views

app_name = "activities"

urlpatterns = [
    path("tasks/", views.task_list, name="tasks"),
    path("tasks/new/", views.task_new, name="task_new"),
    path("tasks/<int:pk>/", views.task_edit, name="task_edit"),
    path("tasks/<int:pk>/complete/", views.complete_task, name="task_complete"),
    path("tasks/<int:pk>/reopen/", views.reopen_task, name="task_reopen"),
    path("next-steps/", views.without_next_step, name="without_next_step"),
    path("activities/<str:kind>/<int:pk>/", views.panel, name="panel"),
    path("activities/<str:kind>/<int:pk>/log/", views.log_activity, name="log"),
    path("activities/<str:kind>/<int:pk>/task/", views.add_task, name="add_task"),
    path("activities/<int:pk>/summary-email/", views.summary_email, name="summary_email"),
    path("deals/<int:pk>/keep-alive/", views.keep_alive_compose, name="keep_alive_compose"),
    path("settings/keep-alive/", views.keep_alive_settings, name="keep_alive_settings"),
]
