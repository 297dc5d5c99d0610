from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from clinic.models import (
    AfterHoursReply,
    CannedAnswer,
    Closure,
    EmergencyNumber,
    OpeningSpan,
    RedFlagSign,
    ReplyHold,
    UrgentChat,
)
from clinic.selectors import forget_clinic_snapshot
from clinic.services import red_flag_signs_copy
from tenancy.admin import ClinicScoped, ClinicScopedInline
from tenancy.models import Clinic, ClinicMembership


class ForgetsSnapshot:
    """Every edit clears this process's copy of the clinic's settings (others expire)."""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        forget_clinic_snapshot()

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        forget_clinic_snapshot()

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        super().delete_model(request, obj)
        forget_clinic_snapshot()

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        super().delete_queryset(request, queryset)
        forget_clinic_snapshot()


class OpeningSpanInline(ClinicScopedInline, admin.TabularInline):
    model = OpeningSpan
    extra = 0
    verbose_name = "opening hours"
    verbose_name_plural = "opening hours (clinic time zone; add a second span for a break)"


class ClosureInline(ClinicScopedInline, admin.TabularInline):
    model = Closure
    extra = 0
    verbose_name_plural = "holidays and closures"


class EmergencyNumberInline(ClinicScopedInline, admin.TabularInline):
    model = EmergencyNumber
    extra = 0
    fields = ("position", "label", "number")


class ReplyHoldInline(ClinicScopedInline, admin.StackedInline):
    model = ReplyHold
    max_num = 1
    can_delete = False
    verbose_name_plural = "replies written while the clinic is closed"


class MembershipInline(ClinicScopedInline, admin.TabularInline):
    model = ClinicMembership
    extra = 0
    autocomplete_fields = ("user",)
    verbose_name_plural = "vets, technicians and staff working here"


@admin.register(Clinic)
class ClinicAdmin(ForgetsSnapshot, ClinicScoped, admin.ModelAdmin):
    inlines = (
        OpeningSpanInline,
        ClosureInline,
        EmergencyNumberInline,
        ReplyHoldInline,
        MembershipInline,
    )
    list_display = ("name", "slug", "time_zone", "phone")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    fields = (
        "name",
        "slug",
        "time_zone",
        "phone",
        "address",
        "colour",
        "email_sender_name",
        "after_hours_reply",
        "technicians_may_call",
        "updated_at",
    )
    readonly_fields = ("updated_at",)
    clinic_path = None

    def scoped(self, queryset: QuerySet[Clinic], request: HttpRequest) -> QuerySet[Clinic]:
        return queryset.filter(pk__in=request.user.clinic_ids)

    def has_add_permission(self, request: HttpRequest) -> bool:
        """New clinics are the platform's to open."""
        return request.user.is_superuser

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Clinic, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if not change:
            red_flag_signs_copy(clinic=obj)


@admin.register(RedFlagSign)
class RedFlagSignAdmin(ForgetsSnapshot, ClinicScoped, admin.ModelAdmin):
    """A clinic's staff keep their clinic's signs; the shared default list (no clinic), which
    every clinic without signs of its own is checked against, is the platform's."""

    list_display = ("name", "clinic", "species", "safe_wait_minutes", "enabled", "position")
    list_editable = ("safe_wait_minutes", "enabled", "position")
    list_filter = ("enabled", "species")
    search_fields = ("name", "phrases")


@admin.register(CannedAnswer)
class SharedCannedAnswerAdmin(ClinicScoped, admin.ModelAdmin):
    """The clinic's shared canned answers; vets keep their own on their canned answers page."""

    list_display = ("title", "clinic", "updated_at")
    search_fields = ("title", "body")
    fields = ("clinic", "title", "body")

    def get_queryset(self, request: HttpRequest) -> QuerySet[CannedAnswer]:
        return super().get_queryset(request).filter(owner__isnull=True)

    def save_model(self, request: HttpRequest, obj: CannedAnswer, form: Any, change: bool) -> None:
        obj.owner = None
        super().save_model(request, obj, form, change)


@admin.register(UrgentChat)
class UrgentChatAdmin(ClinicScoped, admin.ModelAdmin):
    list_display = ("chat", "sign", "seq", "flagged_at")
    list_select_related = ("chat__appointment__pet",)
    readonly_fields = ("chat", "message", "seq", "sign", "flagged_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AfterHoursReply)
class AfterHoursReplyAdmin(ClinicScoped, admin.ModelAdmin):
    clinic_path = "chat__clinic"
    list_display = ("chat", "period_ends", "created_at")
    readonly_fields = ("chat", "period_ends", "created_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
