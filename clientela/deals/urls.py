"""Deal pages and the sales settings (namespace "deals"), included at the site root."""

from django.urls import path

from clientela.deals import settings_views, views
from clientela.deals.board import views as board_views
from clientela.deals.catalogue import views as catalogue_views
from clientela.deals.documents import views as document_views
from clientela.deals.payments import views as payment_views
from clientela.deals.rates import views as rate_views

app_name = "deals"

urlpatterns = [
    path("deals/", views.deal_list, name="list"),
    path("deals/board/", board_views.deal_board, name="board"),
    path("deals/board/stages/<int:stage_id>/more/", board_views.board_more, name="board_more"),
    path("deals/new/", views.deal_create, name="create"),
    path("deals/receivables/", payment_views.receivables, name="receivables"),
    path("deals/analytics/", board_views.pipeline_stats, name="stats"),
    path("deals/pickers/clients/", views.client_options, name="client_options"),
    path("deals/pickers/contacts/", views.contact_options, name="contact_options"),
    path("deals/<int:pk>/", views.deal_detail, name="detail"),
    path("deals/<int:pk>/edit/", views.deal_edit, name="edit"),
    path("deals/<int:pk>/move/", board_views.deal_move, name="move"),
    path("deals/<int:pk>/win/", board_views.deal_move, {"target": "won"}, name="win"),
    path("deals/<int:pk>/lose/", board_views.deal_move, {"target": "lost"}, name="lose"),
    path("deals/<int:pk>/lines/", catalogue_views.line_add, name="line_add"),
    path("deals/<int:pk>/lines/<int:line_id>/remove/", catalogue_views.line_remove, name="line_remove"),
    path("deals/<int:pk>/payments/", payment_views.payment_add, name="payment_add"),
    path(
        "deals/<int:pk>/payments/<int:payment_id>/remove/",
        payment_views.payment_delete,
        name="payment_delete",
    ),
    path("deals/<int:pk>/objections/", board_views.objection_add, name="objection_add"),
    path("deals/<int:pk>/notes/", views.note_add, name="note_add"),
    path("deals/<int:pk>/documents/new/", document_views.document_create, name="document_create"),
    path("deals/documents/<int:document_id>/revise/", document_views.document_revise, name="document_revise"),
    path("deals/documents/<int:document_id>/status/", document_views.document_status, name="document_status"),
    path(
        "deals/documents/versions/<int:version_id>/send/", document_views.document_send, name="document_send"
    ),
    path("deals/documents/versions/<int:version_id>/pdf/", document_views.document_pdf, name="document_pdf"),
    # Sales settings (admins; heads curate the objections library).
    path("settings/sales/", settings_views.index, name="settings"),
    path("settings/sales/pipelines/new/", settings_views.pipeline_form, name="pipeline_create"),
    path("settings/sales/pipelines/<int:pk>/", settings_views.pipeline_form, name="pipeline_edit"),
    path(
        "settings/sales/pipelines/<int:pipeline_id>/stages/new/",
        settings_views.stage_form,
        name="stage_create",
    ),
    path("settings/sales/stages/<int:pk>/", settings_views.stage_form, name="stage_edit"),
    path("settings/sales/stages/<int:pk>/move/", settings_views.stage_move, name="stage_move"),
    path("settings/sales/lost-reasons/", settings_views.reason_list, name="reason_list"),
    path("settings/sales/lost-reasons/new/", settings_views.reason_form, name="reason_create"),
    path("settings/sales/lost-reasons/<int:pk>/", settings_views.reason_form, name="reason_edit"),
    path("settings/sales/products/", settings_views.product_list, name="product_list"),
    path("settings/sales/products/new/", settings_views.product_form, name="product_create"),
    path("settings/sales/products/<int:pk>/", settings_views.product_form, name="product_edit"),
    path("settings/sales/price-lists/", settings_views.price_list_list, name="price_list_list"),
    path("settings/sales/price-lists/new/", settings_views.price_list_form, name="price_list_create"),
    path("settings/sales/price-lists/<int:pk>/", settings_views.price_list_detail, name="price_list_detail"),
    path("settings/sales/price-lists/<int:pk>/edit/", settings_views.price_list_form, name="price_list_edit"),
    path("settings/sales/price-lists/<int:pk>/prices/", settings_views.price_set, name="price_set"),
    path("settings/sales/prices/<int:item_id>/remove/", settings_views.price_remove, name="price_remove"),
    path("settings/sales/client-price-lists/", settings_views.client_price_lists, name="client_price_lists"),
    path("settings/sales/templates/", settings_views.template_list, name="template_list"),
    path("settings/sales/templates/new/", settings_views.template_form, name="template_create"),
    path("settings/sales/templates/<int:pk>/", settings_views.template_form, name="template_edit"),
    path(
        "settings/sales/templates/<int:pk>/preview/", settings_views.template_preview, name="template_preview"
    ),
    path("settings/sales/company/", settings_views.company_form, name="company"),
    path("settings/sales/exchange-rates/", rate_views.exchange_rates, name="exchange_rates"),
    path("settings/sales/objections/", settings_views.objection_list, name="objection_list"),
    path("settings/sales/objections/new/", settings_views.objection_form, name="objection_create"),
    path("settings/sales/objections/<int:pk>/", settings_views.objection_form, name="objection_edit"),
]
