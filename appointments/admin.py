from django import forms
from django.contrib import admin
from django.db import transaction
from django.http import HttpRequest

from accounts.models import User
from appointments.models import Appointment, AppointmentMember, CoOwnership, Pet
from appointments.signals import access_revoked, appointment_status_changed, veterinarian_changed


class AppointmentMemberInline(admin.TabularInline):
    """The appointment's care team: vets and technicians who read and write in its chat."""

    model = AppointmentMember
    fk_name = "appointment"
    fields = ("user", "added_by", "added_at")
    readonly_fields = ("added_by", "added_at")
    autocomplete_fields = ("user",)
    extra = 0


class CoOwnershipInline(admin.TabularInline):
    model = CoOwnership
    fk_name = "pet"
    fields = ("email", "user", "invited_by", "created_at", "accepted_at", "revoked_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # the owner invites from their page; staff see who has access


@admin.register(Pet)
class PetAdmin(admin.ModelAdmin):
    list_display = ("name", "species", "breed", "owner", "date_of_birth")
    list_filter = ("species",)
    search_fields = ("name", "breed", "owner__name", "owner__email")
    list_select_related = ("owner",)
    autocomplete_fields = ("owner",)
    ordering = ("name",)
    inlines = (CoOwnershipInline,)


@admin.register(Appointment)
class AppointmentAdmin(admin.ModelAdmin):
    list_display = ("starts_at", "pet", "pet_parent", "veterinarian", "status", "duration")
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
    inlines = (AppointmentMemberInline,)
    fields = (
        "id",
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

    def save_model(
        self, request: HttpRequest, obj: Appointment, form: forms.ModelForm, change: bool
    ) -> None:
        super().save_model(request, obj, form, change)
        if change and "veterinarian" in form.changed_data:
            # The vet swapped out here loses the chat (keep them by adding them to the team).
            # as for a hand-over on the page: the new vet is no longer also a team member
            AppointmentMember.objects.filter(appointment=obj, user=obj.veterinarian).delete()
            previous = form.initial.get("veterinarian")
            if previous:
                veterinarian_changed.send(
                    sender=Appointment,
                    appointment=obj,
                    previous=User.objects.get(pk=previous),
                    by=request.user,
                )
                transaction.on_commit(
                    lambda: access_revoked.send(
                        sender=Appointment, appointment_ids=[obj.pk], user_ids=[previous]
                    )
                )
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
        """Members added here are recorded as added by this staff member; those removed lose
        their open sockets at once."""
        members = formset.save(commit=False)
        for member in members:
            if member.added_by_id is None:
                member.added_by = request.user
            member.save()
        removed = [member.user_id for member in formset.deleted_objects]
        for member in formset.deleted_objects:
            member.delete()
        formset.save_m2m()
        if removed:
            appointment_ids = [form.instance.pk]
            transaction.on_commit(
                lambda: access_revoked.send(
                    sender=Appointment, appointment_ids=appointment_ids, user_ids=removed
                )
            )
