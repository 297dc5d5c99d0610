from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html

from attachments.models import Attachment
from attachments.shapes import attachment_url, thumbnail_url


def thumbnail_html(attachment_id: object, name: str, has_thumbnail: bool) -> str:
    """A small picture linking to the file, through the same access-checked door."""
    if not has_thumbnail:
        return format_html('<a href="{}">{}</a>', attachment_url(attachment_id), name)
    return format_html(
        '<a href="{}"><img src="{}" alt="{}" height="80"></a>',
        attachment_url(attachment_id),
        thumbnail_url(attachment_id),
        name,
    )


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    """Part of the record once sent: readable by staff, never changed here."""

    list_display = ("thumbnail", "name", "content_type", "size", "uploader", "created_at", "sent")
    list_filter = ("kind", ("created_at", admin.DateFieldListFilter))
    search_fields = ("name", "uploader__email", "appointment__id", "message_id")
    list_select_related = ("uploader",)
    ordering = ("-created_at",)
    readonly_fields = ("thumbnail",)

    @admin.display(description="preview")
    def thumbnail(self, attachment: Attachment) -> str:
        return thumbnail_html(attachment.pk, attachment.name, bool(attachment.thumbnail_key))

    @admin.display(boolean=True)
    def sent(self, attachment: Attachment) -> bool:
        return attachment.message_id is not None

    def get_readonly_fields(self, request: HttpRequest, obj: Attachment | None = None) -> list:
        return ["thumbnail", *(field.name for field in Attachment._meta.fields)]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Attachment | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Attachment | None = None) -> bool:
        return False
