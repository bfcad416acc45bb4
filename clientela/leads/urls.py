from django.urls import path

from clientela.leads import views

app_name = "leads"

urlpatterns = [
    path("leads/", views.lead_list, name="list"),
    path("leads/bulk/", views.lead_bulk, name="bulk"),
    path("leads/views/save/", views.saved_view_save, name="view_save"),
    path("leads/views/delete/", views.saved_view_delete, name="view_delete"),
    path("leads/<int:pk>/", views.lead_detail, name="detail"),
    path("leads/<int:pk>/edit/", views.lead_edit, name="edit"),
    path("leads/<int:pk>/qualify/", views.lead_qualify, name="qualify"),
    path("leads/<int:pk>/start/", views.lead_start, name="start"),
    path("leads/<int:pk>/take/", views.lead_take, name="take"),
    path("leads/<int:pk>/assign/", views.lead_assign, name="assign"),
    path("leads/<int:pk>/convert/", views.lead_convert, name="convert"),
    path("leads/<int:pk>/convert/clients/", views.convert_clients, name="convert_clients"),
    path("leads/<int:pk>/refuse/", views.lead_refuse, name="refuse"),
    path("leads/<int:pk>/postpone/", views.lead_postpone, name="postpone"),
    path("leads/<int:pk>/merge/", views.lead_merge, name="merge"),
    path("leads/<int:pk>/note/", views.lead_note, name="note"),
    path("interests/", views.interest_list, name="interests"),
    path("interests/<int:pk>/upgrade/", views.interest_upgrade, name="interest_upgrade"),
    path("q/refusal/<str:token>/", views.refusal_questionnaire, name="refusal_questionnaire"),
]
