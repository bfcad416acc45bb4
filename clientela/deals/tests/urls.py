"""Test URLconf: the product's URLs (through the toy test URLconf) plus the deal pages, and the
deals API router mounted on an API configured exactly like the shared one (same auth, same
error shape). A separate instance is used because ninja refuses routers added to an API whose
URLs were already built, which another test module may have done first."""

from django.urls import include, path
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, ValidationError

from clientela.core import api as core_api
from clientela.deals.api import router

api = NinjaAPI(
    title="Clientela API (deals tests)",
    version="1-deals-tests",
    urls_namespace="deals-test-api",
    auth=[core_api.BearerTokenAuth(), core_api.SessionAuth()],
)
for exception, handler in [
    (ValidationError, core_api.on_validation_error),
    (core_api.DjangoValidationError, core_api.on_django_validation_error),
    (core_api.BusinessError, core_api.on_business_error),
    (AuthenticationError, core_api.on_authentication_error),
    (AuthorizationError, core_api.on_authorization_error),
    (core_api.PermissionDenied, core_api.on_permission_denied),
    (core_api.Http404, core_api.on_not_found),
    (HttpError, core_api.on_http_error),
    (Exception, core_api.on_unexpected_error),
]:
    api.add_exception_handler(exception, handler)
api.add_router("/", router)

from clientela.core.tests.toy.urls import urlpatterns as toy_urlpatterns  # noqa: E402

urlpatterns = [
    path("api/v1/", api.urls),
    *toy_urlpatterns,
    path("", include("clientela.deals.urls")),
]
