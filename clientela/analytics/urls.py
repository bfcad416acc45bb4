from django.urls import path

from clientela.analytics import dashboard_views, marketing_views, plans_urls, views

app_name = "analytics"

urlpatterns: list = [
    path("reports/", views.report_index, name="index"),
    path("reports/<slug:report>/", views.report_page, name="report"),
    path("dashboard/tiles/", dashboard_views.dashboard_tiles, name="dashboard_tiles"),
    path("dashboard/strip/", dashboard_views.dashboard_strip, name="dashboard_strip"),
    path("dashboard/digest/", dashboard_views.digest_toggle, name="digest_toggle"),
]
urlpatterns += plans_urls.urlpatterns

# Marketing spend and plan (the marketing report's records).
urlpatterns += [
    path("reports/marketing/spend/", marketing_views.marketing_spend, name="marketing_spend"),
    path("reports/marketing/spend/new/", marketing_views.spend_new, name="marketing_spend_new"),
    path("reports/marketing/spend/<int:pk>/", marketing_views.spend_edit, name="marketing_spend_edit"),
    path(
        "reports/marketing/spend/<int:pk>/delete/",
        marketing_views.spend_delete,
        name="marketing_spend_delete",
    ),
    path("reports/marketing/plans/new/", marketing_views.plan_new, name="marketing_plan_new"),
    path("reports/marketing/plans/<int:pk>/", marketing_views.plan_edit, name="marketing_plan_edit"),
    path(
        "reports/marketing/plans/<int:pk>/delete/", marketing_views.plan_delete, name="marketing_plan_delete"
    ),
]
