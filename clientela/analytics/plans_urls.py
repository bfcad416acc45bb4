"""The Plans page and its forms (included by `analytics/urls.py`)."""

from django.urls import path

from clientela.analytics import plans_views

urlpatterns: list = [
    path("plans/", plans_views.plans_page, name="plans"),
    path("plans/activity/", plans_views.activity_plan_save, name="plan_activity_save"),
    path("plans/sales/", plans_views.sales_plan_save, name="plan_sales_save"),
    path("plans/forecast/", plans_views.forecast_save, name="plan_forecast_save"),
]
