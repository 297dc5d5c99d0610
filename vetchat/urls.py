from csp.decorators import csp_update
from django.contrib import admin
from django.urls import include, path
from django.utils.decorators import method_decorator
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from accounts.views import admin_login
from chat.urls import api_urlpatterns as chat_api_urlpatterns
from notifications.urls import api_urlpatterns as notifications_api_urlpatterns
from portal.urls import api_urlpatterns as portal_api_urlpatterns
from vetchat import (
    health,
    schema,  # noqa: F401  (registers the session scheme with drf-spectacular)
)


@method_decorator(csp_update({"img-src": ["data:"]}), name="dispatch")
class ApiDocsView(SpectacularSwaggerView):
    """Swagger UI: its stylesheet draws icons from data: URLs; its own inline script and
    style carry the request's nonce (templates/drf_spectacular/swagger_ui.html)."""


api_urlpatterns = [
    *portal_api_urlpatterns,
    *chat_api_urlpatterns,
    *notifications_api_urlpatterns,
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", ApiDocsView.as_view(url_name="api:schema"), name="docs"),
]

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/login/", admin_login, name="admin_login"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("api/", include((api_urlpatterns, "api"))),
    path("", include("notifications.urls")),
    path("", include("portal.urls")),
]

handler400 = "vetchat.http.bad_request"
handler404 = "vetchat.http.not_found"
handler500 = "vetchat.http.server_error"

admin.site.site_header = "vetchat clinic admin"
admin.site.site_title = "vetchat admin"
