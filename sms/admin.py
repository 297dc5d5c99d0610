"""What staff see of texts: each text's state and reason, and a parent's number with its
consent history. Read-only: consent is the parent's to give, on their profile, and a text's
state is the carrier's to report."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join

from accounts.admin import FollowsUser
from sms.models import ConsentEvent, Phone, Text
from tenancy.admin import ClinicScoped


class ReadOnly:
    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Phone)
class PhoneAdmin(ReadOnly, FollowsUser, admin.ModelAdmin):
    list_display = ("user", "number", "opted_in_at", "stopped_at", "failed_at", "failure")
    list_select_related = ("user",)
    search_fields = ("number", "user__name", "user__email")
    fields = (
        "user",
        "number",
        "opted_in_at",
        "stopped_at",
        "failed_at",
        "failure",
        "last_appointment",
        "updated_at",
        "consent_history",
    )
    readonly_fields = fields

    @admin.display(description="Consent history")
    def consent_history(self, phone: Phone) -> str:
        """Every consent change of the parent, newest first, with the words shown or received.
        (ConsentEvent belongs to the user, not the number, so it cannot be an inline here.)"""
        events = ConsentEvent.objects.filter(user_id=phone.user_id).order_by("-at")
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    f"{e.at:%Y-%m-%d %H:%M}",
                    e.get_kind_display(),
                    e.get_source_display(),
                    e.number,
                    e.words,
                )
                for e in events
            ),
        )
        if not rows:
            return "None recorded."
        return format_html(
            "<table><thead><tr><th>When</th><th>What</th><th>Where</th><th>Number</th>"
            "<th>Words</th></tr></thead><tbody>{}</tbody></table>",
            rows,
        )


@admin.register(Text)
class TextAdmin(ReadOnly, ClinicScoped, admin.ModelAdmin):
    list_display = ("created_at", "user", "appointment", "to", "status", "error_reason")
    list_filter = ("status",)
    list_select_related = ("user", "appointment__pet", "appointment__veterinarian")
    search_fields = ("to", "user__name", "user__email", "provider_sid")
    date_hierarchy = "created_at"
    fields = (
        "created_at",
        "clinic",
        "user",
        "appointment",
        "to",
        "body",
        "status",
        "status_at",
        "error_code",
        "error_reason",
        "provider_sid",
        "sent_at",
        "fell_back_at",
    )
    readonly_fields = fields
