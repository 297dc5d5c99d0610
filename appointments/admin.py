from django.contrib import admin

from appointments.models import Appointment, Pet


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
