from django.urls import path

from clientela.clients.views import client, contact, handover, saved_view

app_name = "clients"

urlpatterns = [
    path("clients/", client.client_list, name="list"),
    path("clients/new/", client.client_create, name="create"),
    path("clients/export/", client.client_export, name="export"),
    path("clients/autocomplete/", client.client_autocomplete, name="autocomplete"),
    path("clients/views/save/", saved_view.saved_view_save, name="view_save"),
    path("clients/views/delete/", saved_view.saved_view_delete, name="view_delete"),
    path("clients/handover/", handover.client_handover_many, name="handover_many"),
    path("clients/handovers/<int:pk>/", handover.handover_detail, name="handover"),
    path("clients/settings/", client.client_settings, name="settings"),
    path("clients/<int:pk>/", client.client_detail, name="detail"),
    path("clients/<int:pk>/edit/", client.client_edit, name="edit"),
    path("clients/<int:pk>/archive/", client.client_archive, name="archive"),
    path("clients/<int:pk>/restore/", client.client_restore, name="restore"),
    path("clients/<int:pk>/delete/", client.client_delete, name="delete"),
    path("clients/<int:pk>/lost/", client.client_lost, name="lost"),
    path("clients/<int:pk>/reactivate/", client.client_reactivate, name="reactivate"),
    path("clients/<int:pk>/use-contact/", client.client_use_contact, name="use_contact"),
    path("clients/<int:pk>/handover/", handover.client_handover, name="handover_one"),
    path("clients/<int:pk>/contacts/new/", contact.contact_create, name="contact_create"),
    path("contacts/", contact.contact_list, name="contacts"),
    path("contacts/export/", contact.contact_export, name="contacts_export"),
    path("contacts/<int:pk>/", contact.contact_detail, name="contact_detail"),
    path("contacts/<int:pk>/edit/", contact.contact_edit, name="contact_edit"),
    path("contacts/<int:pk>/archive/", contact.contact_archive, name="contact_archive"),
    path("contacts/<int:pk>/restore/", contact.contact_restore, name="contact_restore"),
    path("contacts/<int:pk>/move/", contact.contact_move, name="contact_move"),
]
