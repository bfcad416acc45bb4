from django.urls import path

from clientela.retention import cadence_views

app_name = "retention"

urlpatterns: list = [
    path("retention/renewals/", cadence_views.renewal_list, name="renewals"),
    path("retention/deals/<int:pk>/dates/", cadence_views.deal_dates, name="deal_dates"),
    path("retention/deals/<int:pk>/delivered/", cadence_views.deal_delivered, name="deal_delivered"),
]
