"""The clinic's list of its video calls: who called whom, when and how each ended. Read-only,
as the chat entry each call wrote is the record."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from calls.models import Call
from tenancy.admin import ClinicScoped


@admin.register(Call)
class CallAdmin(ClinicScoped, admin.ModelAdmin):
    list_display = ("started_at", "chat", "caller", "answered_by", "outcome", "ended_at")
    list_filter = ("outcome", ("started_at", admin.DateFieldListFilter))
    search_fields = ("chat__appointment__id", "caller__email", "caller__name")
    list_select_related = (
        "caller",
        "answered_by",
        "chat__appointment__pet",
        "chat__appointment__veterinarian",
    )
    fields = (
        "chat",
        "caller",
        "started_at",
        "answered_by",
        "answered_at",
        "ended_at",
        "outcome",
    )
    readonly_fields = fields
    ordering = ("-started_at",)
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
