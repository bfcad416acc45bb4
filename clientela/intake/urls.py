from django.urls import path

from clientela.intake import lead_entry, views

app_name = "intake"

urlpatterns = [
    path("leads/new/", lead_entry.lead_create, name="lead_create"),
    path("settings/intake-forms/", views.form_list, name="form_list"),
    path("settings/intake-forms/new/", views.form_create, name="form_create"),
    path("settings/intake-forms/<int:pk>/", views.form_edit, name="form_edit"),
    path("settings/intake-forms/<int:pk>/deactivate/", views.form_deactivate, name="form_deactivate"),
    path("settings/intake-forms/<int:pk>/rotate-key/", views.form_rotate_key, name="form_rotate_key"),
    path("f/<str:key>/", views.public_form, name="public_form"),
    path("f/<str:key>/thanks/", views.thanks, name="thanks"),
]
