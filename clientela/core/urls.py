from django.urls import path

from clientela.core import views

app_name = "core"

urlpatterns = [
    path("", views.home, name="home"),
    path("notifications/", views.notification_list, name="notifications"),
    path("settings/jobs/failed/", views.failed_jobs, name="failed_jobs"),
]
