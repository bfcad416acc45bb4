"""Pages of the comms app (namespace "comms"), included at the site root."""

from django.urls import path

from clientela.comms import views

app_name = "comms"

urlpatterns = [
    path("settings/templates/", views.template_list, name="template_list"),
    path("settings/templates/<int:pk>/", views.template_edit, name="template_edit"),
    path("settings/comms/", views.settings_index, name="settings"),
    path("settings/comms/teams/<int:team_id>/", views.team_settings, name="team_settings"),
    path("settings/comms/holidays/<int:pk>/delete/", views.holiday_delete, name="holiday_delete"),
    path("notifications/preferences/", views.notification_preferences, name="notification_preferences"),
    path("notifications/badge/", views.unread_badge, name="unread_badge"),
]
