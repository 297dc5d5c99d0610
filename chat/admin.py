from typing import Any
from uuid import UUID

from django.conf import settings
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from appointments.access import access_appointment
from attachments.admin import thumbnail_html
from audit.admin import AuditedSearch
from audit.models import AuditEvent
from audit.services import record_access
from chat.conversation import conversation
from chat.models import Chat, Message, MessageRevision, ReadState
from tenancy.admin import ClinicScoped, ClinicScopedInline
from tenancy.zones import clinic_clock


def conversation_url(appointment_id: UUID, message_id: UUID | None = None) -> str:
    url = reverse("admin:chat_conversation", args=[appointment_id])
    return f"{url}#m-{message_id}" if message_id else url


@admin.register(Chat)
class ChatAdmin(AuditedSearch, ClinicScoped, admin.ModelAdmin):
    list_display = ("appointment", "last_seq", "created_at", "read_link")
    search_fields = (
        "appointment__id",
        "appointment__pet__name",
        "appointment__pet_parent__name",
        "appointment__pet_parent__email",
        "appointment__veterinarian__name",
        "appointment__veterinarian__email",
    )
    list_select_related = ("appointment__pet", "appointment__veterinarian")
    readonly_fields = ("appointment", "last_seq", "rev", "reopened_until", "created_at")
    actions = ["reopen_for_follow_up"]

    def get_urls(self) -> list[URLPattern]:
        read = path(
            "conversation/<uuid:appointment_id>/",
            self.admin_site.admin_view(self.conversation_view),
            name="chat_conversation",
        )
        return [read, *super().get_urls()]

    def conversation_view(self, request: HttpRequest, appointment_id: UUID) -> HttpResponse:
        """The appointment's chat as a conversation, every version shown; each opening is
        recorded in the audit trail before anything is read."""
        appointment = access_appointment(user=request.user, appointment_id=appointment_id)
        record_access(request=request, action=AuditEvent.Action.CHAT_READ, appointment=appointment)
        chat = Chat.objects.filter(appointment=appointment).first()
        parent = appointment.pet_parent.display_name
        context: dict[str, Any] = {
            **self.admin_site.each_context(request),
            "title": f"Conversation: {appointment.pet.name} with {parent}",
            "subtitle": None,
            "opts": self.opts,
            "appointment": appointment,
            "chat": chat,
            "entries": conversation(appointment),
            "clinic": appointment.clinic.name,
            "audit_url": reverse("admin:audit_auditevent_changelist")
            + f"?appointment={appointment.pk}",
        }
        with clinic_clock(appointment.clinic_id):  # its times on the clinic's clock
            return TemplateResponse(request, "admin/chat/conversation.html", context).render()

    @admin.display(description="conversation")
    def read_link(self, chat: Chat) -> str:
        return format_html('<a href="{}">Read</a>', conversation_url(chat.appointment_id))

    @admin.action(description="Reopen for follow-up questions for another week")
    def reopen_for_follow_up(self, request: HttpRequest, queryset: QuerySet[Chat]) -> None:
        until = timezone.now() + settings.VETCHAT_FOLLOW_UP
        count = queryset.update(reopened_until=until)
        self.message_user(request, f"{count} chat(s) open for follow-up questions again.")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a chat comes with its appointment

    def has_delete_permission(self, request: HttpRequest, obj: Chat | None = None) -> bool:
        return False


class RevisionInline(ClinicScopedInline, admin.TabularInline):
    """Every earlier version of a message: what it said before each edit or retraction."""

    clinic_path = "message__clinic"

    model = MessageRevision
    fields = ("changed_at", "change", "changed_by", "content")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Message | None = None) -> bool:
        return False


@admin.register(Message)
class MessageAdmin(AuditedSearch, ClinicScoped, admin.ModelAdmin):
    """A medical record: readable by staff, never edited or deleted here."""

    inlines = [RevisionInline]

    # No text in the list: reading a chat is done in its conversation, where it is audited.
    list_display = ("created_at", "chat", "seq", "sender", "message_type", "read_link")
    list_filter = ("message_type", ("created_at", admin.DateFieldListFilter))
    search_fields = ("content", "sender__email", "sender__name", "chat__appointment__id")
    list_select_related = ("sender", "chat__appointment__pet", "chat__appointment__veterinarian")
    ordering = ("-created_at",)
    show_full_result_count = False

    def get_readonly_fields(self, request: HttpRequest, obj: Message | None = None) -> list[str]:
        return ["attachment_previews", *(field.name for field in Message._meta.fields)]

    @admin.display(description="attachments")
    def attachment_previews(self, message: Message) -> str:
        """The files the message carries, as thumbnails, each opening the file."""
        return format_html_join(
            " ",
            "{}",
            (
                (thumbnail_html(a["id"], a["name"], "thumbnailUrl" in a),)
                for a in message.attachments or []
                if "id" in a
            ),
        )

    @admin.display(description="conversation")
    def read_link(self, message: Message) -> str:
        url = conversation_url(message.chat.appointment_id, message.pk)
        return format_html('<a href="{}">Read in the conversation</a>', url)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        """One message with its versions is a reading of the chat too."""
        appointment_id = (
            self.get_queryset(request)
            .filter(pk=_uuid(object_id))
            .values_list("chat__appointment_id", flat=True)
            .first()
        )
        if appointment_id is not None and self.has_view_permission(request):
            record_access(
                request=request,
                action=AuditEvent.Action.CHAT_READ,
                appointment=appointment_id,
                obj_id=object_id,
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Message | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Message | None = None) -> bool:
        return False


@admin.register(ReadState)
class ReadStateAdmin(ClinicScoped, admin.ModelAdmin):
    clinic_path = "chat__clinic"
    list_display = ("chat", "user", "last_read_seq", "updated_at")
    search_fields = ("user__email", "chat__appointment__id")
    list_select_related = ("user", "chat__appointment__pet", "chat__appointment__veterinarian")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ReadState | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: ReadState | None = None) -> bool:
        return False


def _uuid(text: str) -> UUID | None:
    try:
        return UUID(text)
    except ValueError:
        return None
