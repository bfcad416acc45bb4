from django.urls import path

from clientela.analytics import dashboard_views, plans_urls, views

app_name = "analytics"

urlpatterns: list = [
    path("reports/", views.report_index, name="index"),
    path("reports/<slug:report>/", views.report_page, name="report"),
    path("dashboard/tiles/", dashboard_views.dashboard_tiles, name="dashboard_tiles"),
    path("dashboard/strip/", dashboard_views.dashboard_strip, name="dashboard_strip"),
    path("dashboard/digest/", dashboard_views.digest_toggle, name="digest_toggle"),
]
urlpatterns += plans_urls.urlpatterns
