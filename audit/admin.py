from typing import Any
from uuid import UUID

from django.contrib import admin
from django.contrib.admin.views.main import SEARCH_VAR
from django.db.models import Max, QuerySet
from django.http import HttpRequest

from audit.models import AuditEvent
from audit.services import record_search
from tenancy.admin import ClinicScoped
from tenancy.zones import clinic_time

RECENT_APPOINTMENTS = 20


class AppointmentFilter(admin.SimpleListFilter):
    """The appointments most recently reached, in one query (the related-field filter would load
    every appointment's pet and vet one by one), and the chosen one even when it is older."""

    title = "appointment"
    parameter_name = "appointment"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple]:
        chosen = self._chosen()
        rows = (
            model_admin.get_queryset(request)
            .values("appointment_id")
            .annotate(latest=Max("at"))
            .order_by("-latest")
            .values_list(
                "appointment_id",
                "appointment__pet__name",
                "appointment__starts_at",
                "appointment__clinic_id",
            )
        )
        recent = list(rows[:RECENT_APPOINTMENTS])
        if chosen and all(row[0] != chosen for row in recent):
            recent += list(rows.filter(appointment_id=chosen))
        return [
            (str(pk), f"{pet}, {clinic_time(starts, clinic_id):%Y-%m-%d %H:%M}")
            for pk, pet, starts, clinic_id in recent
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        chosen = self._chosen()
        return queryset.filter(appointment_id=chosen) if chosen else queryset

    def _chosen(self) -> UUID | None:
        try:
            return UUID(self.value()) if self.value() else None
        except ValueError:
            return None


class AuditedSearch:
    """For the admin lists that reach patients' records: each search is written to the audit
    trail before its results are read."""

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> Any:
        term = request.GET.get(SEARCH_VAR, "").strip()
        if term:
            record_search(request=request, where=self.opts.verbose_name_plural, term=term)
        return super().changelist_view(request, extra_context)  # type: ignore[misc]


@admin.register(AuditEvent)
class AuditEventAdmin(ClinicScoped, admin.ModelAdmin):
    """The audit trail, for staff to read: nobody adds, changes or deletes an event here."""

    list_display = ("at", "user", "action", "appointment", "object_id", "ip")
    list_filter = (
        "action",
        ("at", admin.DateFieldListFilter),
        ("user", admin.RelatedOnlyFieldListFilter),
        AppointmentFilter,
    )
    search_fields = (
        "=appointment__id",
        "user__email",
        "user__name",
        "appointment__pet__name",
        "appointment__pet_parent__name",
        "appointment__pet_parent__email",
        "object_id",
        "ip",
    )
    list_select_related = ("user", "appointment__pet", "appointment__veterinarian")
    date_hierarchy = "at"
    show_full_result_count = False
    fields = ("at", "user", "action", "appointment", "object_id", "ip", "user_agent")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False
