from django import forms
from django.contrib import admin
from django.db import transaction
from django.http import HttpRequest

from appointments.models import Appointment, Pet
from appointments.signals import appointment_status_changed


@admin.register(Pet)
class PetAdmin(admin.ModelAdmin):
    list_display = ("name", "species", "breed", "owner", "date_of_birth")
    list_filter = ("species",)
    search_fields = ("name", "breed", "owner__name", "owner__email")
    list_select_related = ("owner",)
    autocomplete_fields = ("owner",)
    ordering = ("name",)


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
        if change and "status" in form.changed_data:
            transaction.on_commit(
                lambda: appointment_status_changed.send(
                    sender=Appointment, appointment=obj, status=obj.status
                )
            )
