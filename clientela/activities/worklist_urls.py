"""Work list, calendar and iCalendar feed pages (namespace "worklist"), included at the site root."""

from django.urls import path

app_name = "worklist"

urlpatterns: list = []
