"""The admin seen through the clinics one works at.

A clinic's staff reach only their clinics' rows: in lists, searches, filters, change, delete and
history pages, and in every choice a form offers, including the autocomplete endpoint (which
asks the *chosen* model's admin for its queryset, so scoping each admin's queryset scopes the
choices that point at it too). Platform superusers see every clinic and filter by it.

Every ModelAdmin of the project is one of `ClinicScoped` or `PlatformOnly`, and every inline a
`ClinicScopedInline` (tests/test_admin_clinics.py holds the registry to it).
"""

from typing import Any

from django.contrib import admin
from django.contrib.admin.exceptions import NotRegistered
from django.contrib.admin.utils import get_fields_from_path
from django.db.models import Field, QuerySet
from django.forms import Field as FormField
from django.http import HttpRequest

from tenancy.models import Clinic


class ClinicListFilter(admin.RelatedFieldListFilter):
    """The clinics to filter by: every clinic for a superuser, one's own for anyone else."""

    def field_choices(
        self, field: Field, request: HttpRequest, model_admin: admin.ModelAdmin
    ) -> list[tuple[Any, str]]:
        clinics = Clinic.objects.order_by("name")
        if not request.user.is_superuser:
            clinics = clinics.filter(pk__in=request.user.clinic_ids)
        return [(clinic.pk, str(clinic)) for clinic in clinics]


class ScopedChoices:
    """A form's related-object choices are what the chosen model's admin lets this user see,
    so a staff member of clinic A can neither pick nor submit clinic B's pet, vet or clinic."""

    def get_field_queryset(
        self, db: str | None, db_field: Field, request: HttpRequest
    ) -> QuerySet | None:
        if request.user.is_superuser:
            return super().get_field_queryset(db, db_field, request)  # type: ignore[misc]
        try:
            related_admin = self.admin_site.get_model_admin(db_field.remote_field.model)  # type: ignore[attr-defined]
        except NotRegistered:
            return super().get_field_queryset(db, db_field, request)  # type: ignore[misc]
        return related_admin.get_queryset(request).using(db)

    def formfield_for_foreignkey(
        self, db_field: Field, request: HttpRequest, **kwargs: Any
    ) -> FormField | None:
        if db_field.related_model is Clinic and not request.user.is_superuser:
            # An empty clinic would make a row every clinic shares (a default red-flag sign),
            # which is the platform's to add.
            kwargs.setdefault("required", True)
            if len(request.user.clinic_ids) == 1:
                kwargs.setdefault("initial", next(iter(request.user.clinic_ids)))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]


class ClinicScoped(ScopedChoices):
    """A ModelAdmin whose rows belong to the clinic at `clinic_path` (a lookup from the model
    to `tenancy.Clinic`, e.g. "clinic" or "chat__clinic"). A model whose rows reach a clinic
    some other way sets `clinic_path = None` and overrides `scoped`."""

    clinic_path: str | None = "clinic"

    def scoped(self, queryset: QuerySet, request: HttpRequest) -> QuerySet:
        """The rows of `queryset` a user who is not a superuser may reach."""
        if self.clinic_path is None:
            raise NotImplementedError(f"{type(self).__name__} says how its rows are scoped.")
        return queryset.filter(**{f"{self.clinic_path}__in": request.user.clinic_ids})

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request)  # type: ignore[misc]
        return queryset if request.user.is_superuser else self.scoped(queryset, request)

    def get_list_filter(self, request: HttpRequest) -> list:
        """Superusers (and staff of several clinics) filter by clinic; for everyone else a
        related-object filter lists only the objects of the rows they can see."""
        path = self.clinic_path
        filters = [
            spec
            for spec in super().get_list_filter(request)  # type: ignore[misc]
            if path is None or (spec[0] if isinstance(spec, tuple) else spec) != path
        ]
        if not request.user.is_superuser:
            filters = [self._related_only(spec) for spec in filters]
        if path and (request.user.is_superuser or len(request.user.clinic_ids) > 1):
            filters.insert(0, (path, ClinicListFilter))
        return filters

    def _related_only(self, spec: Any) -> Any:
        """The stock related-field filter lists every object of the related model, every
        clinic's vets among them; the related-only one lists those of the visible rows."""
        if isinstance(spec, tuple) and spec[1] is admin.RelatedFieldListFilter:
            return (spec[0], admin.RelatedOnlyFieldListFilter)
        if isinstance(spec, str) and get_fields_from_path(self.model, spec)[-1].is_relation:  # type: ignore[attr-defined]
            return (spec, admin.RelatedOnlyFieldListFilter)
        return spec


class ClinicScopedInline(ScopedChoices):
    """An inline's rows belong to its parent, which its own ModelAdmin has already scoped; its
    queryset is scoped again by `clinic_path` where the model has one (None: the parent's)."""

    clinic_path: str | None = "clinic"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request)  # type: ignore[misc]
        if request.user.is_superuser or self.clinic_path is None:
            return queryset
        return queryset.filter(**{f"{self.clinic_path}__in": request.user.clinic_ids})


class PlatformOnly:
    """Rows of the whole deployment (background jobs, permission groups): superusers only,
    whatever permissions a clinic's staff member holds."""

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request)  # type: ignore[misc]
        return queryset if request.user.is_superuser else queryset.none()

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser and super().has_module_permission(request)  # type: ignore[misc]

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser and super().has_view_permission(request, obj)  # type: ignore[misc]

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return request.user.is_superuser and super().has_add_permission(request, *args)  # type: ignore[misc]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser and super().has_change_permission(request, obj)  # type: ignore[misc]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser and super().has_delete_permission(request, obj)  # type: ignore[misc]
