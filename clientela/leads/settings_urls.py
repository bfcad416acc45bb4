from django.urls import path  # noqa: F401

app_name = "lead_settings"

urlpatterns: list = []
