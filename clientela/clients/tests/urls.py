"""Test URLconf: the product's (with the toy app) plus the clients pages and API.

The lead engineer wires `clientela.clients.urls` and the API router into `clientela/urls.py`;
until then (and independently of it) these tests mount them here. The API router is mounted
on its own NinjaAPI — django-ninja refuses new routers once the shared `api` built its URLs —
with the shared API's authentication and error handlers, so answers have the product's shape.
"""

import importlib.util

from django.urls import include, path
from ninja import NinjaAPI

from clientela.clients.api import router
from clientela.core.api import BearerTokenAuth, SessionAuth
from clientela.core.api import api as product_api
from clientela.core.tests.toy.urls import urlpatterns as toy_urlpatterns

api = NinjaAPI(
    title="Clientela API (clients tests)",
    version="clients-tests",
    urls_namespace="clients_test_api",
    auth=[BearerTokenAuth(), SessionAuth()],
)
api._exception_handlers = dict(product_api._exception_handlers)
api.add_router("/", router)

urlpatterns = [
    path("api/v1/", api.urls),
    path("", include("clientela.clients.urls")),
    *toy_urlpatterns,
]

# Other capabilities render sections on the client card (deals: `deals/_client_deals.html`);
# their pages must exist for those links, as they will in the product.
if importlib.util.find_spec("clientela.deals.urls") is not None:
    urlpatterns.append(path("", include("clientela.deals.urls")))
