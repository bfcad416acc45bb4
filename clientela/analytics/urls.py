from django.urls import path

from clientela.analytics import plans_urls, views

app_name = "analytics"

urlpatterns: list = [
    path("reports/", views.report_index, name="index"),
    path("reports/<slug:report>/", views.report_page, name="report"),
]
urlpatterns += plans_urls.urlpatterns
