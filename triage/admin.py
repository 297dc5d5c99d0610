from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import Field, QuerySet
from django.forms import Field as FormField
from django.http import HttpRequest

from appointments.selectors import TEAM_ROLES
from tenancy.admin import ClinicScoped
from tenancy.models import ClinicMembership
from triage.models import CategoryRoute, ChatRoute, IntakeQuestion, Pool


@admin.register(IntakeQuestion)
class IntakeQuestionAdmin(ClinicScoped, admin.ModelAdmin):
    """The intake asks the first four enabled questions for the pet's species, in order."""

    list_display = ("text", "clinic", "species", "position", "enabled")
    list_editable = ("position", "enabled")
    list_filter = ("enabled", "species")
    search_fields = ("text",)


class PoolForm(forms.ModelForm):
    class Meta:
        model = Pool
        fields = ("clinic", "name", "members")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        clinic, members = data.get("clinic"), data.get("members")
        if clinic is not None and members:
            working = set(
                ClinicMembership.objects.filter(clinic=clinic, user__in=members).values_list(
                    "user_id", flat=True
                )
            )
            outside = [member.display_name for member in members if member.pk not in working]
            if outside:
                self.add_error(
                    "members", f"Not working at {clinic.name}: {', '.join(sorted(outside))}."
                )
        return data


@admin.register(Pool)
class PoolAdmin(ClinicScoped, admin.ModelAdmin):
    """Who answers the chats routed to the pool: the clinic's vets and technicians."""

    form = PoolForm
    list_display = ("name", "clinic")
    search_fields = ("name",)
    filter_horizontal = ("members",)

    def formfield_for_manytomany(
        self, db_field: Field, request: HttpRequest, **kwargs: Any
    ) -> FormField | None:
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if field is not None and db_field.name == "members":
            queryset: QuerySet = field.queryset  # type: ignore[attr-defined]
            field.queryset = queryset.filter(role__in=TEAM_ROLES, is_active=True)  # type: ignore[attr-defined]
        return field


@admin.register(CategoryRoute)
class CategoryRouteAdmin(ClinicScoped, admin.ModelAdmin):
    list_display = ("category", "pool", "clinic")
    list_filter = ("category",)


@admin.register(ChatRoute)
class ChatRouteAdmin(ClinicScoped, admin.ModelAdmin):
    """Where each chat's current topic stands; changed only by taking and keeping."""

    list_display = ("chat", "category", "pool", "routed_at", "taken_by", "kept_by")
    list_filter = ("category",)
    list_select_related = ("chat__appointment__pet", "pool", "taken_by", "kept_by")
    readonly_fields = (
        "chat",
        "clinic",
        "category",
        "pool",
        "routed_at",
        "intake",
        "taken_by",
        "taken_at",
        "kept_by",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
