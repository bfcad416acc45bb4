"""Pages of the mail app (namespace "mail"), included at the site root."""

from django.urls import path

from clientela.mail import views

app_name = "mail"

urlpatterns = [
    path("mail/", views.inbox, name="inbox"),
    path("mail/threads/<int:pk>/", views.thread_detail, name="thread"),
    path("mail/compose/", views.compose, name="compose"),
    path("mail/messages/<int:pk>/resend/", views.message_resend_view, name="resend"),
    path("mail/attachments/<int:pk>/", views.attachment_download, name="attachment"),
    path("mail/messages/<int:pk>/raw/", views.message_raw, name="raw"),
    path("mail/signature/", views.signature_edit, name="signature"),
]
