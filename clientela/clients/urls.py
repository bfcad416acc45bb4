from django.urls import path

from clientela.clients import views

app_name = "clients"

urlpatterns = [
    path("clients/", views.client_list, name="list"),
    path("clients/new/", views.client_create, name="create"),
    path("clients/export/", views.client_export, name="export"),
    path("clients/autocomplete/", views.client_autocomplete, name="autocomplete"),
    path("clients/views/save/", views.saved_view_save, name="view_save"),
    path("clients/views/delete/", views.saved_view_delete, name="view_delete"),
    path("clients/handover/", views.client_handover_many, name="handover_many"),
    path("clients/handovers/<int:pk>/", views.handover_detail, name="handover"),
    path("clients/settings/", views.client_settings, name="settings"),
    path("clients/<int:pk>/", views.client_detail, name="detail"),
    path("clients/<int:pk>/edit/", views.client_edit, name="edit"),
    path("clients/<int:pk>/archive/", views.client_archive, name="archive"),
    path("clients/<int:pk>/restore/", views.client_restore, name="restore"),
    path("clients/<int:pk>/delete/", views.client_delete, name="delete"),
    path("clients/<int:pk>/lost/", views.client_lost, name="lost"),
    path("clients/<int:pk>/reactivate/", views.client_reactivate, name="reactivate"),
    path("clients/<int:pk>/handover/", views.client_handover, name="handover_one"),
    path("clients/<int:pk>/contacts/new/", views.contact_create, name="contact_create"),
    path("contacts/", views.contact_list, name="contacts"),
    path("contacts/export/", views.contact_export, name="contacts_export"),
    path("contacts/<int:pk>/", views.contact_detail, name="contact_detail"),
    path("contacts/<int:pk>/edit/", views.contact_edit, name="contact_edit"),
    path("contacts/<int:pk>/archive/", views.contact_archive, name="contact_archive"),
    path("contacts/<int:pk>/restore/", views.contact_restore, name="contact_restore"),
    path("contacts/<int:pk>/move/", views.contact_move, name="contact_move"),
]
