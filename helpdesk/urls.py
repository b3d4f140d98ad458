from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from helpdesk import health
from tickets.api_config import config_router

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "api/docs/",
        # The split view serves its start-up script as a file: no inline script (CSP).
        SpectacularSwaggerSplitView.as_view(url_name="schema", template_name="api/swagger_ui.html"),
        name="api-docs",
    ),
    path("api/v1/inbound/email/", include("tickets.email.urls")),
    path("api/v1/", include("escalation.api_urls")),
    path("api/v1/", include("tickets.api_urls")),
    path("api/v1/", include(config_router().urls)),
    path("", include("escalation.urls")),
    path("", include("tickets.urls")),
]
handler500 = "helpdesk.errors.server_error"
