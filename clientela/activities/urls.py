"""Pages of the activities app (namespace "activities"), included at the site root."""

from django.urls import path

app_name = "activities"

urlpatterns: list = []
