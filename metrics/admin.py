from django.contrib import admin

from metrics.models import ReplyGoal
from tenancy.admin import ClinicScoped


@admin.register(ReplyGoal)
class ReplyGoalAdmin(ClinicScoped, admin.ModelAdmin):
    list_display = ("clinic", "late_share")
