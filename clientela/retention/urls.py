from django.urls import path

from clientela.retention import lifecycle_views

app_name = "retention"

urlpatterns: list = [
    path("retention/churn-reasons/", lifecycle_views.churn_reasons, name="churn_reasons"),
    path("retention/churn-reasons/<int:pk>/", lifecycle_views.churn_reason_edit, name="churn_reason_edit"),
]
