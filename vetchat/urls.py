from csp.decorators import csp_update
from django.contrib import admin
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.templatetags.static import static
from django.urls import include, path
from django.utils.decorators import method_decorator
from django.views.decorators.cache import cache_control
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from accounts.signin_views import signin_link
from accounts.views import admin_login
from attachments.urls import api_urlpatterns as attachments_api_urlpatterns
from chat.urls import api_urlpatterns as chat_api_urlpatterns
from notifications.urls import api_urlpatterns as notifications_api_urlpatterns
from portal.urls import api_urlpatterns as portal_api_urlpatterns
from vetchat import (
    health,
    observability,
    schema,  # noqa: F401  (registers the session scheme with drf-spectacular)
)


@method_decorator(csp_update({"img-src": ["data:"]}), name="dispatch")
class ApiDocsView(SpectacularSwaggerView):
    """Swagger UI: its stylesheet draws icons from data: URLs; its own inline script and
    style carry the request's nonce (templates/drf_spectacular/swagger_ui.html)."""


@cache_control(max_age=86400, public=True)
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers and feed readers ask for /favicon.ico whatever the page links; the icon itself
    lives under its hashed static name, so this only points there (temporarily: the name changes
    with the icon)."""
    return HttpResponseRedirect(static("favicon.ico"))


@cache_control(max_age=86400, public=True)
def web_manifest(request: HttpRequest) -> HttpResponse:
    """What a phone needs to put vetchat on its home screen: name, colours and icons."""
    icon = {"type": "image/png", "purpose": "any"}
    manifest = {
        "name": "vetchat",
        "short_name": "vetchat",
        "start_url": "/",
        "display": "standalone",
        "background_color": "#f6f7f9",
        "theme_color": "#0f6e6e",
        "icons": [
            {**icon, "src": static("icons/icon-192.png"), "sizes": "192x192"},
            {**icon, "src": static("icons/icon-512.png"), "sizes": "512x512"},
            {
                **icon,
                "src": static("icons/icon-maskable-512.png"),
                "sizes": "512x512",
                "purpose": "maskable",
            },
        ],
    }
    return JsonResponse(manifest, content_type="application/manifest+json")


# The chat's first: every open chat polls it every few seconds, and the first match wins.
api_urlpatterns = [
    *chat_api_urlpatterns,
    *portal_api_urlpatterns,
    *attachments_api_urlpatterns,
    *notifications_api_urlpatterns,
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", ApiDocsView.as_view(url_name="api:schema"), name="docs"),
]

urlpatterns = [
    path("api/", include((api_urlpatterns, "api"))),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", observability.metrics, name="metrics"),
    path("favicon.ico", favicon, name="favicon"),
    path("manifest.webmanifest", web_manifest, name="web_manifest"),
    path("admin/login/", admin_login, name="admin_login"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    # <path:>: a token mangled into something with a slash still gets the sign-in page.
    path("signin/<path:token>", signin_link, name="signin_link"),
    path("", include("attachments.urls")),
    path("", include("transcripts.urls")),
    path("", include("notifications.urls")),
    path("", include("sms.urls")),
    path("", include("triage.urls")),
    path("", include("oncall.urls")),
    path("", include("safety.urls")),
    path("", include("metrics.urls")),
    path("", include("portal.urls")),
]

handler400 = "vetchat.http.bad_request"
handler404 = "vetchat.http.not_found"
handler500 = "vetchat.http.server_error"
# allauth answers a sign-in limit through this (counted, then its usual page).
handler429 = "vetchat.observability.too_many_requests"
