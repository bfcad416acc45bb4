from django.urls import path

from clientela.retention import loyalty_views

app_name = "retention"

urlpatterns: list = []

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
]
