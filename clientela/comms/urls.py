"""Pages of the comms app (namespace "comms"), included at the site root."""

from django.urls import path

app_name = "comms"

urlpatterns: list = []
