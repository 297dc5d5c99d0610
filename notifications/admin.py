from django.contrib import admin
from django.http import HttpRequest
from procrastinate.contrib.django.admin import ProcrastinateJobAdmin as BaseJobAdmin
from procrastinate.contrib.django.models import ProcrastinateJob

from accounts.admin import FollowsUser
from notifications.models import UndeliveredEmail
from tenancy.admin import PlatformOnly


@admin.register(UndeliveredEmail)
class UndeliveredEmailAdmin(FollowsUser, admin.ModelAdmin):
    """Emails the worker gave up on: to whom, what, why. Read-only; deleting one dismisses it.
    The text is not kept (an account email's link acts for its recipient): the person asks
    again (a new reset link, a new invitation) once the address or the server is fixed."""

    list_display = ("failed_at", "kind", "recipient", "subject", "attempts", "reason")
    list_filter = ("kind", "failed_at")
    search_fields = ("recipient", "subject")
    fields = ("failed_at", "kind", "recipient", "user", "subject", "attempts", "reason")
    readonly_fields = fields
    date_hierarchy = "failed_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: UndeliveredEmail | None = None
    ) -> bool:
        return False


admin.site.unregister(ProcrastinateJob)


@admin.register(ProcrastinateJob)
class ProcrastinateJobAdmin(PlatformOnly, BaseJobAdmin):
    """The queue carries every clinic's jobs (their arguments name people and chats)."""
