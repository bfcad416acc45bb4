from django.urls import path  # noqa: F401

from clientela.retention import greetings_views

app_name = "retention"

urlpatterns: list = [
    *greetings_views.urlpatterns,
]
