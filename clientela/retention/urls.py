from django.urls import path

from clientela.retention import dashboard, leak_views, settings_views

app_name = "retention"

urlpatterns: list = [
    path("retention/", dashboard.dashboard, name="dashboard"),
    path("retention/alerts/<int:pk>/acknowledge/", leak_views.alert_acknowledge, name="alert_acknowledge"),
    path("settings/retention/", settings_views.retention_settings, name="settings"),
]
