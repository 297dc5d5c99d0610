"""The appointment chat API, with the field names of the seed's contract."""

import re
from http import HTTPStatus
from typing import Any
from uuid import UUID

from django.http import QueryDict
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from appointments.access import get_participant_appointment
from appointments.models import Appointment
from chat.flows import ReadCursors, chat_view, load_chat, message_json, message_row
from chat.models import MAX_CONTENT_LENGTH, Message
from chat.services import message_send

MAX_SEQ = 2**31 - 1
MAX_ATTACHMENTS = 10
MAX_ATTACHMENT_SIZE = 100 * 1024 * 1024
ATTACHMENT_TYPES = {Message.Type.IMAGE, Message.Type.VIDEO, Message.Type.FILE}
CONTENT_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*$", re.I)
BOOLEANS = {"true": True, "1": True, "false": False, "0": False}
CLIENT_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


def validated(serializer_class: type[serializers.Serializer], data: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


# Input ---------------------------------------------------------------------------------------


class AppointmentParams(serializers.Serializer):
    appointmentId = serializers.UUIDField()


def message_list_params(query: QueryDict) -> dict[str, Any]:
    """The messages GET's query, checked by hand: every poll of every open chat passes here,
    and a DRF serializer would cost about a tenth of a poll."""
    params: dict[str, Any] = {}
    errors: dict[str, str] = {}
    try:
        params["appointmentId"] = UUID(query["appointmentId"])
    except KeyError:
        errors["appointmentId"] = "This field is required."
    except ValueError:
        errors["appointmentId"] = "Must be a valid UUID."
    for name, low, high, default in [
        ("after", 0, MAX_SEQ, None),
        ("before", 1, MAX_SEQ, None),
        ("limit", 1, 200, 50),
    ]:
        raw = query.get(name, "")
        if raw == "":
            params[name] = default
        elif raw.isdecimal() and low <= int(raw) <= high:
            params[name] = int(raw)
        else:
            errors[name] = f"Use a whole number from {low} to {high}."
    mark_read = query.get("markRead", "true").lower()
    if mark_read not in BOOLEANS:
        errors["markRead"] = "Use true or false."
    params["markRead"] = BOOLEANS.get(mark_read, True)
    if params.get("after") is not None and params.get("before") is not None:
        errors["before"] = "Use either after or before, not both."
    if errors:
        raise serializers.ValidationError(errors)
    return params


class StrictSerializer(serializers.Serializer):
    """Refuses keys it does not know, so a typo is an error rather than silently dropped."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = set(data) - set(self.fields)
            if unknown:
                raise serializers.ValidationError(
                    {key: "Unknown field." for key in sorted(unknown)}
                )
        return super().to_internal_value(data)


def _text(max_length: int) -> serializers.CharField:
    return serializers.CharField(max_length=max_length, required=False, allow_blank=True)


class PrescriptionPayload(StrictSerializer):
    medication = serializers.CharField(max_length=200)
    dose = _text(200)
    frequency = _text(200)
    duration = _text(200)
    notes = _text(2000)


class AssessmentPayload(StrictSerializer):
    findings = _text(4000)
    diagnosis = _text(1000)
    plan = _text(4000)


PAYLOADS = {
    Message.Type.PRESCRIPTION: PrescriptionPayload,
    Message.Type.ASSESSMENT: AssessmentPayload,
}


class AttachmentInput(StrictSerializer):
    url = serializers.CharField(max_length=2000)
    name = serializers.CharField(max_length=255)
    contentType = serializers.CharField(max_length=127)
    size = serializers.IntegerField(min_value=0, max_value=MAX_ATTACHMENT_SIZE)

    def validate_url(self, url: str) -> str:
        if url.startswith("https://") or (url.startswith("/") and not url.startswith("//")):
            return url
        raise serializers.ValidationError("Use an https:// URL or a path on this site.")

    def validate_contentType(self, content_type: str) -> str:
        if not CONTENT_TYPE.match(content_type):
            raise serializers.ValidationError("Not a media type such as image/png.")
        return content_type.lower()


class SendMessageInput(StrictSerializer):
    appointmentId = serializers.UUIDField()
    content = serializers.CharField(
        max_length=MAX_CONTENT_LENGTH, required=False, allow_blank=True, default=""
    )
    messageType = serializers.ChoiceField(choices=Message.Type.choices, default=Message.Type.TEXT)
    payload = serializers.JSONField(required=False, allow_null=True, default=None)
    attachments = AttachmentInput(many=True, required=False, default=list)
    clientId = serializers.CharField(required=False, allow_null=True, default=None)

    def validate_clientId(self, client_id: str | None) -> str | None:
        if client_id is not None and not CLIENT_ID.match(client_id):
            raise serializers.ValidationError("Use 1-64 letters, digits, or - _ . :")
        return client_id

    def validate_attachments(self, attachments: list) -> list:
        if len(attachments) > MAX_ATTACHMENTS:
            raise serializers.ValidationError(f"At most {MAX_ATTACHMENTS} attachments.")
        return attachments

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        kind = data["messageType"]
        attachments = data["attachments"]
        errors: dict[str, str] = {}

        payload = data["payload"]
        if payload is not None:
            if kind not in PAYLOADS:
                errors["payload"] = f"A {kind} message carries no payload."
            elif not isinstance(payload, dict):
                errors["payload"] = "Send an object of named fields."
            else:
                checker = PAYLOADS[kind](data=payload)
                if checker.is_valid():
                    data["payload"] = dict(checker.validated_data)
                else:
                    errors["payload"] = "; ".join(
                        f"{field}: {' '.join(map(str, messages))}"
                        for field, messages in checker.errors.items()
                    )

        if kind in ATTACHMENT_TYPES:
            if not attachments:
                errors["attachments"] = f"A {kind} message needs at least one attachment."
            elif kind != Message.Type.FILE:
                wrong = [a["name"] for a in attachments if not a["contentType"].startswith(kind)]
                if wrong:
                    errors["attachments"] = f"Not {kind} content: {', '.join(wrong)}."
        elif attachments:
            errors["attachments"] = "Only image, video and file messages carry attachments."

        if not data["content"] and kind not in ATTACHMENT_TYPES:
            if kind == Message.Type.PRESCRIPTION and data["payload"] and "payload" not in errors:
                data["content"] = prescription_summary(data["payload"])
            else:
                errors["content"] = "Write a message before sending."
        if errors:
            raise serializers.ValidationError(errors)
        return data


def prescription_summary(payload: dict[str, str]) -> str:
    """Readable text for clients that show only `content`."""
    parts = [payload.get(key, "") for key in ("medication", "dose", "frequency", "duration")]
    return ", ".join(part for part in parts if part)


# Output --------------------------------------------------------------------------------------


class MessageOutput(serializers.Serializer):
    """Documents the message shape; the views build it by hand from database rows."""

    _id = serializers.UUIDField()
    seq = serializers.IntegerField()
    senderId = serializers.UUIDField()
    senderName = serializers.CharField()
    senderImage = serializers.URLField(allow_null=True)
    content = serializers.CharField()
    messageType = serializers.ChoiceField(choices=Message.Type.choices)
    isRead = serializers.BooleanField()
    isDelivered = serializers.BooleanField()
    createdAt = serializers.DateTimeField()
    updatedAt = serializers.DateTimeField()
    payload = serializers.DictField(required=False)
    attachments = inline_serializer(
        "Attachment",
        {
            "url": serializers.CharField(),
            "name": serializers.CharField(),
            "contentType": serializers.CharField(),
            "size": serializers.IntegerField(),
        },
        many=True,
        required=False,
    )


class ChatAppointmentOutput(serializers.Serializer):
    id = serializers.UUIDField()
    petParentName = serializers.CharField()
    veterinarianName = serializers.CharField()
    petName = serializers.CharField()
    appointmentDate = serializers.CharField()
    appointmentTime = serializers.CharField()


class MessageListOutput(serializers.Serializer):
    messages = MessageOutput(many=True)
    appointment = ChatAppointmentOutput()
    lastSeq = serializers.IntegerField(help_text="The seq of the chat's newest message.")
    hasMore = serializers.BooleanField(
        help_text="With `after`: newer messages remain. Otherwise: older messages remain."
    )
    otherLastReadSeq = serializers.IntegerField(
        help_text="How far the other participant has read: your messages up to it are read."
    )


class SendMessageOutput(serializers.Serializer):
    message = MessageOutput()
    success = serializers.BooleanField()


# Views ---------------------------------------------------------------------------------------


class MessagesApi(APIView):
    @extend_schema(
        operation_id="chat_messages_list",
        summary="Messages of an appointment's chat, oldest first",
        parameters=[
            OpenApiParameter("appointmentId", OpenApiTypes.UUID, required=True),
            OpenApiParameter("after", int, description="Only messages newer than this seq."),
            OpenApiParameter("before", int, description="Only messages older than this seq."),
            OpenApiParameter("limit", int, description="1-200, default 50."),
            OpenApiParameter(
                "markRead",
                bool,
                description="Default true: the other participant's returned messages become "
                "read. False fetches without reading (a hidden tab).",
            ),
        ],
        responses={200: MessageListOutput, 304: None},
    )
    def get(self, request: Request) -> Response:
        params = message_list_params(request.query_params)
        appointment, chat = load_chat(request.user, params["appointmentId"])
        view = chat_view(
            user=request.user,
            appointment=appointment,
            chat=chat,
            limit=params["limit"],
            after=params["after"],
            before=params["before"],
            mark_read=params["markRead"],
            if_none_match=request.headers.get("If-None-Match", ""),
        )
        headers = {"ETag": view.etag, "Cache-Control": "private, no-cache"}
        if view.not_modified:
            return Response(status=HTTPStatus.NOT_MODIFIED, headers=headers)
        return Response(view.body, headers=headers)

    @extend_schema(
        operation_id="chat_messages_send",
        summary="Send a message into an appointment's chat",
        request=SendMessageInput,
        responses={201: SendMessageOutput, 200: SendMessageOutput},
        description="201 for a new message; 200 with the stored message when `clientId` "
        "repeats one this sender already sent.",
    )
    def post(self, request: Request) -> Response:
        data = validated(SendMessageInput, request.data)
        user = request.user
        appointment, chat = load_chat(user, data["appointmentId"])
        message, created = message_send(
            chat=chat,
            sender=user,
            content=data["content"],
            message_type=data["messageType"],
            payload=data["payload"],
            attachments=data["attachments"],
            client_id=data["clientId"],
        )
        cursors = ReadCursors(appointment)
        return Response(
            {"message": message_json(message_row(message), cursors), "success": True},
            status=HTTPStatus.CREATED if created else HTTPStatus.OK,
        )


class ChatTestApi(APIView):
    @extend_schema(
        operation_id="chat_test",
        summary="Check that the chat works for this appointment and user",
        parameters=[OpenApiParameter("appointmentId", OpenApiTypes.UUID, required=True)],
        responses={
            200: inline_serializer(
                "ChatTest",
                {
                    "appointmentExists": serializers.BooleanField(),
                    "chatExists": serializers.BooleanField(),
                    "appointmentId": serializers.UUIDField(),
                    "userId": serializers.UUIDField(),
                    "userRole": serializers.ChoiceField(choices=["pet_parent", "veterinarian"]),
                    "message": serializers.CharField(),
                },
            )
        },
    )
    def get(self, request: Request) -> Response:
        params = validated(AppointmentParams, request.query_params)
        user = request.user
        appointment = get_participant_appointment(
            user=user,
            appointment_id=params["appointmentId"],
            load=lambda pk: Appointment.objects.select_related("chat").filter(pk=pk).first(),
        )
        return Response(
            {
                "appointmentExists": True,
                "chatExists": hasattr(appointment, "chat"),
                "appointmentId": str(appointment.pk),
                "userId": str(user.pk),
                "userRole": user.role,
                "message": "Appointment chat system is working correctly",
            }
        )
