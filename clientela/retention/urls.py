from django.urls import path

from clientela.retention import value_views

app_name = "retention"

urlpatterns: list = [
    path("retention/value/", value_views.value_page, name="value"),
]
