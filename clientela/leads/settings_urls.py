"""Lead settings pages (namespace "lead_settings"), included at the site root."""

from django.urls import path

from clientela.leads import settings_views as views

app_name = "lead_settings"

urlpatterns = [
    path("settings/leads/", views.index, name="index"),
    path("settings/leads/teams/<int:team_id>/", views.team_detail, name="team"),
    path("settings/leads/teams/<int:team_id>/policy/", views.policy_edit, name="policy"),
    path("settings/leads/teams/<int:team_id>/rules/new/", views.rule_form, name="rule_create"),
    path("settings/leads/rules/<int:pk>/", views.rule_form, name="rule_edit"),
    path("settings/leads/rules/<int:pk>/move/", views.rule_move, name="rule_move"),
    path("settings/leads/rules/<int:pk>/active/", views.rule_active, name="rule_active"),
    path("settings/leads/temperature/", views.temperature_list, name="temperature_list"),
    path("settings/leads/temperature/new/", views.temperature_form, name="temperature_create"),
    path("settings/leads/temperature/<int:pk>/", views.temperature_form, name="temperature_edit"),
    path("settings/leads/temperature/<int:pk>/move/", views.temperature_move, name="temperature_move"),
    path("settings/leads/temperature/<int:pk>/active/", views.temperature_active, name="temperature_active"),
    path("settings/leads/refusal-reasons/", views.reason_list, name="reason_list"),
    path("settings/leads/refusal-reasons/new/", views.reason_form, name="reason_create"),
    path("settings/leads/refusal-reasons/<int:pk>/", views.reason_form, name="reason_edit"),
    path("settings/leads/refusal-reasons/<int:pk>/active/", views.reason_active, name="reason_active"),
    path("settings/leads/refusal-reasons/<int:pk>/delete/", views.reason_delete, name="reason_delete"),
]
