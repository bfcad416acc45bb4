from django.contrib import admin
from django.urls import include, path

from clientela.activities.api import router as activities_router
from clientela.analytics.api import router as analytics_router
from clientela.analytics.marketing_api import router as marketing_router
from clientela.clients.api import router as clients_router
from clientela.comms.api import router as comms_router
from clientela.core.api import api
from clientela.core.views import health
from clientela.deals.api import router as deals_router
from clientela.imports.api import router as imports_router
from clientela.intake.api import router as intake_router
from clientela.leads.api import router as leads_router
from clientela.mail.api import router as mail_router
from clientela.retention.api import router as retention_router
from clientela.users.api import router as users_router

api.add_router("/", users_router)
api.add_router("/", leads_router)
api.add_router("/", intake_router)
api.add_router("/", imports_router)
api.add_router("/", clients_router)
api.add_router("/", deals_router)
api.add_router("/", activities_router)
api.add_router("/", comms_router)
api.add_router("/", mail_router)
api.add_router("/", retention_router)
api.add_router("/", analytics_router)
api.add_router("/", marketing_router)

urlpatterns = [
    path("health", health, name="health"),
    path("api/v1/", api.urls),
    path("django-admin/", admin.site.urls),
    path("", include("clientela.users.urls")),
    path("", include("clientela.leads.urls")),
    path("", include("clientela.leads.settings_urls")),
    path("", include("clientela.intake.urls")),
    path("", include("clientela.imports.urls")),
    path("", include("clientela.clients.urls")),
    path("", include("clientela.deals.urls")),
    path("", include("clientela.activities.urls")),
    path("", include("clientela.activities.worklist_urls")),
    path("", include("clientela.comms.urls")),
    path("", include("clientela.mail.urls")),
    path("", include("clientela.retention.urls")),
    path("", include("clientela.analytics.urls")),
    path("", include("clientela.core.urls")),
]
