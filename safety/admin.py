from django.contrib import admin

from clinic.admin import ForgetsSnapshot
from safety.models import ReplySettings, SafeWait
from tenancy.admin import ClinicScoped


@admin.register(ReplySettings)
class ReplySettingsAdmin(ForgetsSnapshot, ClinicScoped, admin.ModelAdmin):
    """How long a reply takes and the emergency clinic; a clinic without a row has 20 minutes a
    reply and no emergency clinic beyond its emergency numbers."""

    list_display = ("clinic", "minutes_per_reply", "emergency_clinic_name")
    fields = (
        "clinic",
        "minutes_per_reply",
        "emergency_clinic_name",
        "emergency_clinic_address",
        "emergency_clinic_phone",
    )


@admin.register(SafeWait)
class SafeWaitAdmin(ForgetsSnapshot, ClinicScoped, admin.ModelAdmin):
    """The longest a question of each category may wait; a category without a row has the
    shipped default (medical 4 h, medication 24 h, appointment 48 h, billing 72 h, other 48 h)."""

    list_display = ("category", "clinic", "minutes")
    list_editable = ("minutes",)
    list_filter = ("category",)
