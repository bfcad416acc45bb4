from django.urls import path

from clientela.retention import cadence_views
from clientela.retention import surveys_views

from clientela.retention import greetings_views
from clientela.retention import dashboard, leak_views, settings_views

app_name = "retention"

urlpatterns: list = [
    path("retention/renewals/", cadence_views.renewal_list, name="renewals"),
    path("retention/deals/<int:pk>/dates/", cadence_views.deal_dates, name="deal_dates"),
    path("retention/deals/<int:pk>/delivered/", cadence_views.deal_delivered, name="deal_delivered"),
    # Satisfaction surveys: the public answer page, "send a survey" from the card, the index factors.
    path("s/<str:token>/", surveys_views.survey_answer, name="survey_answer"),
    path("clients/<int:pk>/survey/", surveys_views.survey_send, name="survey_send"),
    path("retention/surveys/", surveys_views.survey_list, name="survey_list"),
    path("settings/satisfaction/", surveys_views.factor_settings, name="survey_factors"),
    *greetings_views.urlpatterns,
    path("retention/", dashboard.dashboard, name="dashboard"),
    path("retention/alerts/<int:pk>/acknowledge/", leak_views.alert_acknowledge, name="alert_acknowledge"),
    path("settings/retention/", settings_views.retention_settings, name="settings"),
]
