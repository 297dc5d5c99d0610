"""The attachments' doors: the upload, and the download of a file or its thumbnail."""

from http import HTTPStatus
from typing import Any
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from appointments.access import Action, access_appointment
from appointments.models import Appointment
from attachments.media import ALLOWED_LIST
from attachments.models import Attachment
from attachments.quota import upload_quota_allowed
from attachments.selectors import attachment_for_download
from attachments.services import attachment_upload, upload_allowed
from attachments.serving import serve_file
from attachments.shapes import attachment_json
from audit.models import AuditEvent
from audit.services import record_access
from vetchat.errors import InvalidInput, NotFound
from vetchat.schema import error_responses

# Only images and video open in the browser, and only because they were re-encoded or
# remuxed here; a PDF is always a download.
INLINE_KINDS = {Attachment.Kind.IMAGE, Attachment.Kind.VIDEO}


@extend_schema_field(OpenApiTypes.BINARY)
class FilePart(serializers.FileField):
    """A multipart file part (the schema's `format: binary`)."""


class UploadInput(serializers.Serializer):
    appointmentId = serializers.UUIDField()
    file = FilePart(allow_empty_file=True, max_length=None)


class AttachmentOutput(serializers.Serializer):
    id = serializers.UUIDField()
    url = serializers.CharField(help_text="Where participants download it (session cookie).")
    name = serializers.CharField(help_text="The sender's file name, sanitised, ≤ 200 characters.")
    contentType = serializers.CharField(help_text="Of the copy kept, found from its content.")
    size = serializers.IntegerField(help_text="Bytes of the copy kept.")
    width = serializers.IntegerField(required=False, help_text="Images and video.")
    height = serializers.IntegerField(required=False, help_text="Images and video.")
    durationSeconds = serializers.FloatField(required=False, help_text="Video.")
    thumbnailUrl = serializers.CharField(
        required=False,
        help_text="Images and video: a JPEG at most 320 px on its longer side "
        "(`?size=1280` for a larger one).",
    )


class UploadOutput(serializers.Serializer):
    attachment = AttachmentOutput()


class AttachmentsApi(APIView):
    parser_classes = [MultiPartParser]
    checked_appointment: Appointment | None = None

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        # Before DRF signs the request in: its CSRF check reads a POST's form, which here is
        # the file itself. Its size, the quota and (named in the URL) the chat are known
        # without reading a byte of it.
        if request.method == "POST":
            self.checked_appointment = _checked_before_body(request._request)
        super().initial(request, *args, **kwargs)

    @extend_schema(
        operation_id="chat_attachment_upload",
        summary="Upload a photo, video or document into an appointment's chat",
        description=f"Accepted by content, whatever the name or declared type: {ALLOWED_LIST}. "
        "Photos are re-encoded upright without their metadata (HEIC becomes JPEG); videos "
        "lose their metadata; PDFs are kept as sent and only ever downloaded. Send the "
        "answer's `id` in a message's `attachments` to show it to the other participant; "
        "uploads not sent within 24 hours are removed. Name the appointment in the URL too "
        "(`?appointmentId=`) to have access, the chat's state and the daily quota checked "
        "before the file is sent.",
        parameters=[
            OpenApiParameter(
                "appointmentId",
                OpenApiTypes.UUID,
                required=False,
                description="The form's `appointmentId`, checked before the body is read.",
            )
        ],
        request={"multipart/form-data": UploadInput},
        responses={
            201: UploadOutput,
            **error_responses(
                400,
                401,
                403,
                404,
                413,
                415,
                409,
                422,
                429,
                507,
                s400="No file, an empty or unreadable one, an image with too many pixels, no "
                "Content-Length, or an `appointmentId` in the URL other than the form's.",
                s413="Over the limit of its kind (photos and documents 20 MB, videos 200 MB "
                "unless the clinic says otherwise).",
                s415="A type that is not accepted; the message names the type found.",
                s409="The chat is read-only (`chat_read_only`): cancelled, or its follow-up "
                "window has closed.",
                s422="The malware scanner found something (`infected`); nothing is kept.",
                s429="Too many uploads: a burst, the daily count, or the daily quota of bytes "
                "uploaded and not yet sent (500 MB unless the clinic says otherwise).",
                s507="The clinic's file storage is full or read-only; nothing was kept, and "
                "the same upload may be sent again later.",
            ),
        },
    )
    def post(self, request: Request) -> Response:
        appointment = self.checked_appointment
        named = request.data.get("appointmentId")
        if appointment is None:  # named in the form only: checked once the form is read
            appointment_id = _uuid(named, "appointmentId")
            appointment = access_appointment(
                user=request.user, appointment_id=appointment_id, action=Action.CHAT
            )
        elif named and str(named) != str(appointment.pk):
            message = "Name the same appointment in the URL and the form."
            raise InvalidInput(message, fields={"appointmentId": message})
        upload = request.data.get("file")
        if upload is None or isinstance(upload, str):
            raise InvalidInput("Choose a file to upload.", fields={"file": "No file was sent."})
        if self.checked_appointment is None:
            upload_allowed(user=request.user, appointment=appointment)
        attachment = attachment_upload(
            appointment=appointment, uploader=request.user, upload=upload
        )
        return Response({"attachment": attachment_json(attachment)}, status=HTTPStatus.CREATED)


def _checked_before_body(request: HttpRequest) -> Appointment | None:
    """What an upload is refused for before its body is read: no size, over the quota of
    unsent uploads, or (when the URL names the appointment) a chat the user may not write in.
    Returns that appointment, or None when only the form names it. Anonymous requests are
    left to DRF's 401."""
    user = request.user
    if not user.is_authenticated:
        return None
    try:
        length = int(request.META["CONTENT_LENGTH"])
    except (KeyError, ValueError):
        length = -1
    if length < 0:
        raise InvalidInput("Send the upload with its size (a Content-Length header).")
    appointment = None
    if named := request.GET.get("appointmentId"):
        appointment = access_appointment(
            user=user, appointment_id=_uuid(named, "appointmentId"), action=Action.CHAT
        )
    upload_quota_allowed(user=user, incoming=length)
    if appointment is not None:
        upload_allowed(user=user, appointment=appointment)
    return appointment


def _uuid(value: object, field: str) -> UUID:
    if not value:
        raise InvalidInput("This field is required.", fields={field: "This field is required."})
    try:
        return UUID(str(value))
    except ValueError as error:
        raise InvalidInput(
            "Must be a valid UUID.", fields={field: "Must be a valid UUID."}
        ) from error


FILE_RESPONSES = {
    (200, "*/*"): OpenApiResponse(OpenApiTypes.BINARY, description="The file."),
    (206, "*/*"): OpenApiResponse(
        OpenApiTypes.BINARY, description="The bytes a `Range` asked for."
    ),
    (302, "*/*"): OpenApiResponse(
        description="With object storage: to a URL signed for a few minutes."
    ),
    304: OpenApiResponse(description="Unchanged since the If-None-Match ETag."),
    416: OpenApiResponse(description="The range starts past the end of the file."),
    **error_responses(401, 404),
}


def _audit(request: Request, attachment: Attachment) -> None:
    """Staff reading the record is accountable (a thumbnail too: it shows the patient); the
    chat's own members reading it is the chat."""
    record_access(
        request=request,
        action=AuditEvent.Action.ATTACHMENT_DOWNLOAD,
        appointment=attachment.appointment,
        obj_id=attachment.pk,
        outsiders_only=True,
    )


class AttachmentFileApi(APIView):
    @extend_schema(
        operation_id="chat_attachment_file",
        summary="Download an attachment (participants and staff only)",
        description="Images and video are shown inline, everything else is a download. "
        "Supports `Range` (206/416) and `If-None-Match` (304).",
        responses=FILE_RESPONSES,
    )
    def get(self, request: Request, attachment_id: UUID) -> HttpResponse:
        attachment = attachment_for_download(user=request.user, attachment_id=attachment_id)
        _audit(request, attachment)
        return serve_file(
            request,
            key=attachment.storage_key,
            content_type=attachment.content_type,
            filename=attachment.name,
            inline=attachment.kind in INLINE_KINDS,
            etag=f'"{attachment.pk}"',
        )


class AttachmentThumbnailApi(APIView):
    @extend_schema(
        operation_id="chat_attachment_thumbnail",
        summary="An image's or video's thumbnail, a JPEG",
        parameters=[
            OpenApiParameter(
                "size", {"type": "integer", "enum": [320, 1280], "default": 320}, required=False
            )
        ],
        responses={**FILE_RESPONSES, **error_responses(400, s400="`size` is not 320 or 1280.")},
    )
    def get(self, request: Request, attachment_id: UUID) -> HttpResponse:
        size = request.query_params.get("size", "320")
        if size not in {"320", "1280"}:
            raise InvalidInput("Use size 320 or 1280.", fields={"size": "Use 320 or 1280."})
        attachment = attachment_for_download(user=request.user, attachment_id=attachment_id)
        key = attachment.thumbnail_key if size == "320" else attachment.preview_key
        if not key:
            raise NotFound("This attachment has no thumbnail.")
        _audit(request, attachment)
        stem = attachment.name.rsplit(".", 1)[0]
        return serve_file(
            request,
            key=key,
            content_type="image/jpeg",
            filename=f"{stem}-{size}.jpg",
            inline=True,
            etag=f'"{attachment.pk}-{size}"',
        )
