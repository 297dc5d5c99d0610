"""The clinic's on-call rota (shifts and the emergency list), and the pages sent, read-only: the
chat's notices and the audit trail are their record."""

from django.contrib import admin

from oncall.models import EmergencyContact, OnCallShift, Page
from sms.admin import ReadOnly
from tenancy.admin import ClinicScoped


@admin.register(OnCallShift)
class OnCallShiftAdmin(ClinicScoped, admin.ModelAdmin):
    list_display = ("starts_at", "ends_at", "level", "clinician", "pager_phone")
    list_filter = ("level", ("starts_at", admin.DateFieldListFilter))
    list_select_related = ("clinician",)
    search_fields = ("clinician__name", "clinician__email")
    fields = ("clinic", "clinician", "level", "starts_at", "ends_at", "pager_phone")
    ordering = ("-starts_at", "level")


@admin.register(EmergencyContact)
class EmergencyContactAdmin(ClinicScoped, admin.ModelAdmin):
    list_display = ("clinician", "position")
    list_select_related = ("clinician",)
    fields = ("clinic", "clinician", "position")
    ordering = ("position",)


@admin.register(Page)
class PageAdmin(ReadOnly, ClinicScoped, admin.ModelAdmin):
    list_display = ("paged_at", "person", "level", "state", "acknowledged_at", "chat")
    list_filter = ("state", "level", ("paged_at", admin.DateFieldListFilter))
    list_select_related = ("person", "chat__appointment__pet")
    fields = (
        "chat",
        "seq",
        "sign",
        "round",
        "level",
        "person",
        "paged_at",
        "due_at",
        "state",
        "acknowledged_at",
        "ended_at",
        "text_to",
        "text_sent_at",
        "text_error",
    )
    readonly_fields = fields
    ordering = ("-paged_at",)
    show_full_result_count = False
