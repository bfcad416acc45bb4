from django.urls import path

from clientela.retention import surveys_views

from clientela.retention import greetings_views

app_name = "retention"

urlpatterns: list = [
    # Satisfaction surveys: the public answer page, "send a survey" from the card, the index factors.
    path("s/<str:token>/", surveys_views.survey_answer, name="survey_answer"),
    path("clients/<int:pk>/survey/", surveys_views.survey_send, name="survey_send"),
    path("retention/surveys/", surveys_views.survey_list, name="survey_list"),
    path("settings/satisfaction/", surveys_views.factor_settings, name="survey_factors"),
    *greetings_views.urlpatterns,
]
