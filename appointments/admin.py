"""Staff change who takes part in a chat through the same services as the pages: one hand-over,
one care-team change, each recorded and each ending access at once where it ends."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from accounts.admin import accounts_seen_by
from appointments.models import Appointment, AppointmentMember, CoOwnership, Pet
from appointments.services import (
    access_ended,
    pet_owner_changed,
    team_member_add,
    team_member_remove,
)
from appointments.signals import appointment_status_changed
from audit.admin import AuditedSearch
from sms.models import Text
from tenancy.admin import ClinicScoped, ClinicScopedInline
from vetchat.errors import DomainError


class AppointmentMemberInline(ClinicScopedInline, admin.TabularInline):
    """The appointment's care team: vets and technicians who read and write in its chat."""

    clinic_path = "appointment__clinic"
    model = AppointmentMember
    fk_name = "appointment"
    fields = ("user", "added_by", "added_at")
    readonly_fields = ("added_by", "added_at")
    autocomplete_fields = ("user",)
    extra = 0


class TextInline(ClinicScopedInline, admin.TabularInline):
    """The texts sent to the parent about this appointment, each with its state and reason."""

    model = Text
    fk_name = "appointment"
    verbose_name_plural = "Texts"
    fields = ("created_at", "to", "status", "error_reason", "fell_back_at")
    readonly_fields = fields
    ordering = ("-created_at",)
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # texts go out from the notifications, never from here

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class CoOwnershipInline(ClinicScopedInline, admin.TabularInline):
    clinic_path = None  # a pet's co-owners, shown where the pet is
    model = CoOwnership
    fk_name = "pet"
    fields = ("email", "user", "invited_by", "created_at", "accepted_at", "revoked_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # the owner invites from their page; staff see who has access


@admin.register(Pet)
class PetAdmin(AuditedSearch, ClinicScoped, admin.ModelAdmin):
    list_display = ("name", "species", "breed", "owner", "date_of_birth")
    list_filter = ("species",)
    search_fields = ("name", "breed", "owner__name", "owner__email")
    list_select_related = ("owner",)
    autocomplete_fields = ("owner",)
    ordering = ("name",)
    inlines = (CoOwnershipInline,)
    clinic_path = None

    def scoped(self, queryset: QuerySet[Pet], request: HttpRequest) -> QuerySet[Pet]:
        """Pets seen at one of the user's clinics, and the pets of the pet parents the user
        reaches: a client's other pet can be booked, while its appointments elsewhere stay
        out of sight."""
        seen_here = Appointment.objects.filter(clinic__in=request.user.clinic_ids)
        return queryset.filter(
            Q(pk__in=seen_here.values("pet_id"))
            | Q(owner__in=accounts_seen_by(request.user).values("pk"))
        )

    def save_model(
        self, request: HttpRequest, obj: Pet, form: forms.ModelForm, change: bool
    ) -> None:
        super().save_model(request, obj, form, change)
        if change and "owner" in form.changed_data:
            pet_owner_changed(pet=obj, previous_id=form.initial["owner"])


@admin.register(Appointment)
class AppointmentAdmin(AuditedSearch, ClinicScoped, admin.ModelAdmin):
    list_display = (
        "starts_at",
        "pet",
        "pet_parent",
        "veterinarian",
        "clinic",
        "status",
        "duration",
    )
    list_filter = ("status", "veterinarian", ("starts_at", admin.DateFieldListFilter))
    search_fields = (
        "id",
        "pet__name",
        "pet_parent__name",
        "pet_parent__email",
        "veterinarian__name",
        "veterinarian__email",
        "reason",
    )
    list_select_related = ("pet", "pet_parent", "veterinarian")
    autocomplete_fields = ("pet", "pet_parent", "veterinarian")
    date_hierarchy = "starts_at"
    ordering = ("-starts_at",)
    readonly_fields = ("id", "created_at", "updated_at")
    inlines = (AppointmentMemberInline, TextInline)
    fields = (
        "id",
        "clinic",
        "pet_parent",
        "pet",
        "veterinarian",
        "starts_at",
        "duration",
        "status",
        "reason",
        "created_at",
        "updated_at",
    )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        """An appointment stays in the clinic it was booked at: its chat and record are there."""
        fields = tuple(super().get_readonly_fields(request, obj))
        return (*fields, "clinic") if obj is not None else fields

    def save_model(
        self, request: HttpRequest, obj: Appointment, form: forms.ModelForm, change: bool
    ) -> None:
        handed_to = None
        if change and "veterinarian" in form.changed_data:
            # Saved as it was; the hand-over below moves it, as the page's does.
            handed_to, obj.veterinarian_id = obj.veterinarian_id, form.initial["veterinarian"]
        super().save_model(request, obj, form, change)
        if handed_to is not None:
            from chat.services import appointment_hand_over  # the chat app sits above this one

            try:
                appointment_hand_over(appointment_id=obj.pk, by=request.user, to_id=handed_to)
            except DomainError as error:
                self.message_user(request, f"Not handed over: {error}", messages.ERROR)
            obj.refresh_from_db(fields=["veterinarian"])
        if change and "pet_parent" in form.changed_data:
            access_ended(appointment_ids=[obj.pk], user_ids=[form.initial["pet_parent"]])
        if change and "status" in form.changed_data:
            transaction.on_commit(
                lambda: appointment_status_changed.send(
                    sender=Appointment, appointment=obj, status=obj.status
                )
            )

    def save_formset(
        self,
        request: HttpRequest,
        form: forms.ModelForm,
        formset: forms.BaseModelFormSet,
        change: bool,
    ) -> None:
        """Care-team rows added, changed or removed here go through the care-team services:
        recorded as this staff member's, and whoever leaves loses their open sockets at once."""
        if formset.model is not AppointmentMember:
            super().save_formset(request, form, formset, change)
            return
        formset.save(commit=False)  # sorts the rows into new, changed and deleted; saves none
        appointment_id = form.instance.pk
        leaving = [member.user_id for member in formset.deleted_objects]
        joining = [member.user_id for member in formset.new_objects]
        for member, fields in formset.changed_objects:
            if "user" in fields:
                leaving.append(AppointmentMember.objects.get(pk=member.pk).user_id)
                joining.append(member.user_id)
        for user_id in leaving:
            team_member_remove(appointment_id=appointment_id, by=request.user, user_id=user_id)
        for user_id in joining:
            try:
                team_member_add(appointment_id=appointment_id, by=request.user, user_id=user_id)
            except DomainError as error:
                self.message_user(request, f"Not added to the care team: {error}", messages.ERROR)
