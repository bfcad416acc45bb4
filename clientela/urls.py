from django.contrib import admin
from django.urls import include, path

from clientela.core.api import api
from clientela.core.views import health
from clientela.users.api import router as users_router

api.add_router("/", users_router)

urlpatterns = [
    path("health", health, name="health"),
    path("api/v1/", api.urls),
    path("django-admin/", admin.site.urls),
    path("", include("clientela.users.urls")),
    path("", include("clientela.leads.urls")),
    path("", include("clientela.core.urls")),
]
