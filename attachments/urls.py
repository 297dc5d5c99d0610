from django.urls import path

from attachments.api import AttachmentFileApi, AttachmentsApi, AttachmentThumbnailApi
from attachments.views import profile_photo

api_urlpatterns = [
    path("appointment-chat/attachments", AttachmentsApi.as_view(), name="attachments"),
    path(
        "appointment-chat/attachments/<uuid:attachment_id>",
        AttachmentFileApi.as_view(),
        name="attachment_file",
    ),
    path(
        "appointment-chat/attachments/<uuid:attachment_id>/thumbnail",
        AttachmentThumbnailApi.as_view(),
        name="attachment_thumbnail",
    ),
]

urlpatterns = [
    path("profile-photos/<slug:token>.jpg", profile_photo, name="profile_photo"),
]
