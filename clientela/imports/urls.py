from django.urls import path

from clientela.imports import views

app_name = "imports"

urlpatterns = [
    path("imports/", views.import_list, name="list"),
    path("imports/new/", views.import_upload, name="upload"),
    path("imports/<int:pk>/", views.import_detail, name="detail"),
    path("imports/<int:pk>/mapping/", views.import_mapping, name="mapping"),
    path("imports/<int:pk>/report.csv", views.import_report, name="report"),
    path("imports/<int:pk>/run/", views.import_repeat, name="repeat"),
    path("imports/<int:pk>/resume/", views.import_resume, name="resume"),
]
