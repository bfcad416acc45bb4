"""Work list, calendar and iCalendar feed pages (namespace "worklist"), included at the site root."""

from django.urls import path

from clientela.activities import worklist_views as views

app_name = "worklist"

urlpatterns: list = [
    path("worklist/team/more/", views.team_group_more, name="team_more"),
    path("worklist/tasks/<int:pk>/outcome/", views.task_outcome, name="outcome"),
    path("worklist/tasks/<int:pk>/actions/", views.task_row_actions, name="task_actions"),
    path("worklist/clocks/<int:pk>/acknowledge/", views.acknowledge, name="acknowledge"),
    path("worklist/clocks/<int:pk>/assign/", views.assign_clock, name="assign_clock"),
    path("calendar/", views.calendar_page, name="calendar"),
    path("calendar/feed/", views.feed_settings, name="feed_settings"),
    path("calendar/feed/<str:token>.ics", views.feed, name="feed"),
]
