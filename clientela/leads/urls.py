from django.urls import path

from clientela.leads import views

app_name = "leads"

urlpatterns = [
    path("leads/", views.lead_list, name="list"),
    path("leads/<int:pk>/", views.lead_detail, name="detail"),
    path("q/refusal/<str:token>/", views.refusal_questionnaire, name="refusal_questionnaire"),
]
