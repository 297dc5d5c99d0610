"""The clinic's admin: its models grouped by what staff come for, not by the app that holds them.

Without this, Django lists one section per app, alphabetically: allauth's "Accounts" (email
addresses) beside ours (users), MFA and groups elsewhere again.
"""

from typing import Any

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import Http404, HttpRequest
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse

# (section, the app labels whose models it lists), in the order the index shows them. An app
# not named here keeps a section of its own after these, so a new app is never hidden.
SECTIONS: list[tuple[str, tuple[str, ...]]] = [
    ("People", ("accounts", "account", "mfa", "auth")),
    ("Clinic", ("tenancy", "appointments", "clinic", "triage", "oncall", "safety", "metrics")),
    ("Conversations", ("chat", "attachments", "calls")),
    ("Record", ("audit", "records")),
    ("Notifications", ("notifications", "sms")),
    ("Background jobs", ("procrastinate",)),
]
SLUGS = {name: name.lower().replace(" ", "-") for name, _ in SECTIONS}


class VetchatAdminSite(admin.AdminSite):
    site_header = "vetchat clinic admin"
    site_title = "vetchat admin"
    index_title = "Clinic administration"

    def get_app_list(self, request: HttpRequest, app_label: str | None = None) -> list[dict]:
        """The index and the navigation list sections; an app's own page lists that app."""
        apps = super().get_app_list(request, app_label)
        if app_label is not None:
            return apps
        return self.sections(apps)

    def sections(self, apps: list[dict]) -> list[dict]:
        by_label = {app["app_label"]: app for app in apps}
        grouped = []
        for name, labels in SECTIONS:
            members = [by_label.pop(label) for label in labels if label in by_label]
            if not members:
                continue
            slug = SLUGS[name]
            grouped.append(
                {
                    "name": name,
                    "app_label": slug,
                    "app_url": reverse("admin:section", args=[slug], current_app=self.name),
                    "has_module_perms": True,
                    "models": [model for app in members for model in app["models"]],
                }
            )
        return grouped + list(by_label.values())

    def get_urls(self) -> list[URLPattern]:
        section = path("section/<slug:slug>/", self.admin_view(self.section_index), name="section")
        return [section, *super().get_urls()]

    def section_index(
        self, request: HttpRequest, slug: str, extra_context: dict[str, Any] | None = None
    ) -> TemplateResponse:
        """One section's models, as an app's page lists an app's."""
        found = [s for s in self.get_app_list(request) if s["app_label"] == slug]
        if not found or slug not in SLUGS.values():
            raise Http404("No such section.")
        context = {
            **self.each_context(request),
            "title": f"{found[0]['name']} administration",
            "subtitle": None,
            "app_list": found,
            "app_label": slug,
            **(extra_context or {}),
        }
        request.current_app = self.name
        return TemplateResponse(request, "admin/app_index.html", context)


class VetchatAdminConfig(AdminConfig):
    default_site = "vetchat.admin_site.VetchatAdminSite"
