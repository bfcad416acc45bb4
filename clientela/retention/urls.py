from django.urls import path

from clientela.retention import (
    cadence_views,
    dashboard,
    greetings_views,
    leak_views,
    lifecycle_views,
    loyalty_views,
    settings_views,
    surveys_views,
    value_views,
)

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

# Loyalty: a client's loyalty and account plan, referrals, the report and its lists.
urlpatterns += [
    path("clients/<int:pk>/loyalty/", loyalty_views.client_loyalty, name="client_loyalty"),
    path("clients/<int:pk>/loyalty/reasons/", loyalty_views.client_reasons, name="client_loyalty_reasons"),
    path("clients/<int:pk>/loyalty/benefits/", loyalty_views.client_benefit_add, name="client_benefit_add"),
    path(
        "clients/<int:pk>/loyalty/benefits/<int:benefit_id>/remove/",
        loyalty_views.client_benefit_remove,
        name="client_benefit_remove",
    ),
    path("clients/<int:pk>/account-plan/", loyalty_views.account_plan, name="account_plan"),
    path(
        "clients/<int:pk>/account-plan/actions/",
        loyalty_views.account_plan_action,
        name="account_plan_action",
    ),
    path("leads/<int:pk>/referral-bonus/", loyalty_views.referral_bonus, name="referral_bonus"),
    path("retention/loyalty/", loyalty_views.report, name="loyalty"),
    path("retention/loyalty/clients/", loyalty_views.reason_clients, name="loyalty_clients"),
    path("retention/loyalty/settings/", loyalty_views.settings_page, name="loyalty_settings"),
    path("retention/churn-reasons/", lifecycle_views.churn_reasons, name="churn_reasons"),
    path("retention/churn-reasons/<int:pk>/", lifecycle_views.churn_reason_edit, name="churn_reason_edit"),
    path("retention/value/", value_views.value_page, name="value"),
]
