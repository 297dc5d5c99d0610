from django.contrib import admin
from django.http import HttpRequest

from chat.models import Chat, Message, ReadState


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
    readonly_fields = ("appointment", "last_seq", "created_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a chat comes with its appointment

    def has_delete_permission(self, request: HttpRequest, obj: Chat | None = None) -> bool:
        return False


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    """A medical record: readable by staff, never edited or deleted here."""

    list_display = ("created_at", "chat", "seq", "sender", "message_type", "short_content")
    list_filter = ("message_type", ("created_at", admin.DateFieldListFilter))
    search_fields = ("content", "sender__email", "sender__name", "chat__appointment__id")
    list_select_related = ("sender", "chat__appointment__pet", "chat__appointment__veterinarian")
    ordering = ("-created_at",)
    show_full_result_count = False

    def get_readonly_fields(self, request: HttpRequest, obj: Message | None = None) -> list[str]:
        return [field.name for field in Message._meta.fields]

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
