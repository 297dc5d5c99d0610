from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from accounts.admin import FollowsUser
from attachments.models import Attachment, ProfilePhoto
from attachments.services import profile_photo_remove, profile_photo_url
from attachments.shapes import attachment_url, thumbnail_url
from tenancy.admin import ClinicScoped


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
class AttachmentAdmin(ClinicScoped, admin.ModelAdmin):
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


@admin.register(ProfilePhoto)
class ProfilePhotoAdmin(FollowsUser, admin.ModelAdmin):
    """The pictures beside people's messages. Only their owner sets one (on the profile page);
    staff may take one down, which removes it as its owner would: the bytes go, and the person's
    initials show in its place."""

    list_display = ("picture", "user", "created_at")
    search_fields = ("user__email", "user__name")
    list_select_related = ("user",)
    ordering = ("-created_at",)
    fields = ("picture", "user", "created_at")
    readonly_fields = fields

    @admin.display(description="photo")
    def picture(self, photo: ProfilePhoto) -> str:
        url = profile_photo_url(photo.storage_key)
        return format_html('<img src="{}" alt="" width="48" height="48">', url)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ProfilePhoto | None = None) -> bool:
        return False

    def delete_model(self, request: HttpRequest, obj: ProfilePhoto) -> None:
        profile_photo_remove(user=obj.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[ProfilePhoto]) -> None:
        for photo in queryset.select_related("user"):
            profile_photo_remove(user=photo.user)
