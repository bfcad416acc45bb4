from django.urls import path

from clientela.leads.views import actions, card, interests, listing, questionnaire

app_name = "leads"

urlpatterns = [
    path("leads/", listing.lead_list, name="list"),
    path("leads/bulk/", listing.lead_bulk, name="bulk"),
    path("leads/views/save/", listing.saved_view_save, name="view_save"),
    path("leads/views/delete/", listing.saved_view_delete, name="view_delete"),
    path("leads/<int:pk>/", card.lead_detail, name="detail"),
    path("leads/<int:pk>/edit/", actions.lead_edit, name="edit"),
    path("leads/<int:pk>/qualify/", actions.lead_qualify, name="qualify"),
    path("leads/<int:pk>/start/", actions.lead_start, name="start"),
    path("leads/<int:pk>/take/", actions.lead_take, name="take"),
    path("leads/<int:pk>/assign/", actions.lead_assign, name="assign"),
    path("leads/<int:pk>/convert/", actions.lead_convert, name="convert"),
    path("leads/<int:pk>/convert/clients/", actions.convert_clients, name="convert_clients"),
    path("leads/<int:pk>/refuse/", actions.lead_refuse, name="refuse"),
    path("leads/<int:pk>/postpone/", actions.lead_postpone, name="postpone"),
    path("leads/<int:pk>/merge/", actions.lead_merge, name="merge"),
    path("leads/<int:pk>/note/", actions.lead_note, name="note"),
    path("interests/", interests.interest_list, name="interests"),
    path("interests/<int:pk>/upgrade/", interests.interest_upgrade, name="interest_upgrade"),
    path("q/refusal/<str:token>/", questionnaire.refusal_questionnaire, name="refusal_questionnaire"),
]
