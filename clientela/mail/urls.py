"""Pages of the mail app (namespace "mail"), included at the site root."""

from django.urls import path

app_name = "mail"

urlpatterns: list = []
