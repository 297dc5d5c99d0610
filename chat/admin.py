from django.conf import settings
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html_join

from attachments.admin import thumbnail_html
from chat.models import Chat, Message, MessageRevision, ReadState


@admin.register(Chat)
class ChatAdmin(admin.ModelAdmin):
    list_display = ("appointment", "last_seq", "created_at")
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

    @admin.action(description="Reopen for follow-up questions for another week")
    def reopen_for_follow_up(self, request: HttpRequest, queryset: QuerySet[Chat]) -> None:
        until = timezone.now() + settings.VETCHAT_FOLLOW_UP
        count = queryset.update(reopened_until=until)
        self.message_user(request, f"{count} chat(s) open for follow-up questions again.")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a chat comes with its appointment

    def has_delete_permission(self, request: HttpRequest, obj: Chat | None = None) -> bool:
        return False


class RevisionInline(admin.TabularInline):
    """Every earlier version of a message: what it said before each edit or retraction."""

    model = MessageRevision
    fields = ("changed_at", "change", "changed_by", "content")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Message | None = None) -> bool:
        return False


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    """A medical record: readable by staff, never edited or deleted here."""

    inlines = [RevisionInline]

    list_display = ("created_at", "chat", "seq", "sender", "message_type", "short_content")
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

    @admin.display(description="content")
    def short_content(self, message: Message) -> str:
        return message.content if len(message.content) <= 80 else message.content[:79] + "…"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Message | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Message | None = None) -> bool:
        return False


@admin.register(ReadState)
class ReadStateAdmin(admin.ModelAdmin):
    list_display = ("chat", "user", "last_read_seq", "updated_at")
    search_fields = ("user__email", "chat__appointment__id")
    list_select_related = ("user", "chat__appointment__pet", "chat__appointment__veterinarian")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ReadState | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: ReadState | None = None) -> bool:
        return False
