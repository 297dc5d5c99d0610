"""The appointment chat API, with the field names of the seed's contract.

Views parse, call access and services, and shape; every rule lives in `chat.rules`.
"""

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

from appointments.access import AppointmentNotFound
from chat.models import MAX_CONTENT_LENGTH, Message
from chat.rules import MAX_ATTACHMENT_SIZE, MAX_ATTACHMENTS, PAYLOAD_FIELDS, MessageNotFound
from chat.selectors import (
    MessageRow,
    appointment_of_message,
    chat_for,
    chat_messages,
    message_changes,
)
from chat.services import (
    access_chat,
    chat_mark_read,
    message_edit,
    message_retract,
    message_send,
    prescription_acknowledge,
)
from chat.shapes import chat_page_json, message_json
from chat.sql import ChatHeader

MAX_SEQ = 2**31 - 1
MAX_REV = 2**63 - 1
MAX_LIMIT = 200
BOOLEANS = {"true": True, "1": True, "false": False, "0": False}
CLIENT_ID = r"^[A-Za-z0-9_.:-]{1,64}$"


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
        ("limit", 1, MAX_LIMIT, 50),
        ("rev", 0, MAX_REV, None),
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
    if params.get("rev") is not None and params.get("after") is None:
        errors["rev"] = "Give rev together with after: the changes to messages up to it."
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


def payload_serializer(message_type: str) -> type[serializers.Serializer]:
    """Documents one structured type's payload, from the fields `chat.rules` defines."""
    fields = {
        field.name: serializers.CharField(
            max_length=field.max_length, required=field.required, allow_blank=not field.required
        )
        for field in PAYLOAD_FIELDS[message_type]
    }
    return type(f"{message_type.title()}Payload", (StrictSerializer,), fields)


class AttachmentInput(StrictSerializer):
    url = serializers.CharField(
        max_length=2000, help_text="An https:// URL or a path on this site."
    )
    name = serializers.CharField(max_length=255)
    contentType = serializers.RegexField(r"^[A-Za-z0-9][\w!#$&^.+-]*/[A-Za-z0-9][\w!#$&^.+-]*$")
    size = serializers.IntegerField(min_value=0, max_value=MAX_ATTACHMENT_SIZE)


class SendMessageInput(StrictSerializer):
    appointmentId = serializers.UUIDField()
    content = serializers.CharField(
        max_length=MAX_CONTENT_LENGTH, required=False, allow_blank=True, default=""
    )
    messageType = serializers.ChoiceField(choices=Message.Type.choices, default=Message.Type.TEXT)
    payload = serializers.JSONField(required=False, allow_null=True, default=None)
    attachments = AttachmentInput(many=True, required=False, default=list)
    amends = serializers.UUIDField(
        required=False,
        allow_null=True,
        default=None,
        help_text="For an assessment or prescription: the `_id` of the earlier one it corrects.",
    )
    clientId = serializers.RegexField(
        CLIENT_ID,
        required=False,
        allow_null=True,
        default=None,
        error_messages={"invalid": "Use 1-64 letters, digits, or - _ . :"},
        help_text="Chosen by the client; repeating it returns the message stored the first time.",
    )

    def validate_attachments(self, attachments: list) -> list:
        if len(attachments) > MAX_ATTACHMENTS:
            raise serializers.ValidationError(f"At most {MAX_ATTACHMENTS} attachments.")
        return attachments


# Output --------------------------------------------------------------------------------------


class MessageOutput(serializers.Serializer):
    """Documents the message shape; `chat.shapes` builds it from database rows."""

    _id = serializers.UUIDField()
    seq = serializers.IntegerField()
    senderId = serializers.UUIDField()
    senderName = serializers.CharField()
    senderInitials = serializers.CharField(help_text="For an avatar without a picture.")
    senderImage = serializers.CharField(allow_null=True)
    content = serializers.CharField(allow_blank=True)
    messageType = serializers.ChoiceField(choices=Message.Type.choices)
    isRead = serializers.BooleanField()
    isDelivered = serializers.BooleanField()
    createdAt = serializers.DateTimeField()
    updatedAt = serializers.DateTimeField()
    editedAt = serializers.DateTimeField(allow_null=True)
    retractedAt = serializers.DateTimeField(
        allow_null=True, help_text="Set when the sender removed it; its content is then empty."
    )
    amends = inline_serializer(
        "AmendedMessage",
        {"_id": serializers.UUIDField(), "seq": serializers.IntegerField()},
        required=False,
        help_text="The earlier assessment or prescription this one corrects.",
    )
    acknowledgedAt = serializers.DateTimeField(allow_null=True, required=False)
    acknowledgedBy = serializers.CharField(allow_null=True, required=False)
    payload = serializers.DictField(child=serializers.CharField(), required=False)
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
    changed = MessageOutput(
        many=True,
        help_text="With `after` and `rev`: messages up to `after` edited, retracted or "
        "acknowledged since `rev`, as they now stand.",
    )
    appointment = ChatAppointmentOutput()
    lastSeq = serializers.IntegerField(help_text="The seq of the chat's newest message.")
    rev = serializers.IntegerField(
        help_text="The chat's change cursor: pass it back as `rev` to learn what changed."
    )
    hasMore = serializers.BooleanField(
        help_text="With `after`: newer messages remain. Otherwise: older messages remain."
    )
    otherLastReadSeq = serializers.IntegerField(
        help_text="How far the other participant has read: your messages up to it are read."
    )


class SendMessageOutput(serializers.Serializer):
    message = MessageOutput()
    success = serializers.BooleanField()


ErrorOutput = inline_serializer(
    "Error",
    {
        "error": inline_serializer(
            "ErrorDetail",
            {
                "code": serializers.CharField(),
                "message": serializers.CharField(),
                "fields": serializers.DictField(child=serializers.CharField(), required=False),
            },
        )
    },
)
ERRORS = {status: ErrorOutput for status in (400, 401, 403, 404)}


# Views ---------------------------------------------------------------------------------------


def etag_of(chat: ChatHeader, *parts: int | None) -> str:
    """Changes whenever the answer to the same request would: new messages or a moved cursor."""
    state = (chat.last_seq, chat.rev, *chat.read_seqs.values(), *parts)
    return '"' + ".".join("-" if part is None else str(part) for part in state) + '"'


class MessagesApi(APIView):
    @extend_schema(
        operation_id="chat_messages_list",
        summary="Messages of an appointment's chat, oldest first",
        parameters=[
            OpenApiParameter("appointmentId", OpenApiTypes.UUID, required=True),
            OpenApiParameter(
                "after", int, description=f"Only messages newer than this seq (0-{MAX_SEQ})."
            ),
            OpenApiParameter(
                "before", int, description=f"Only messages older than this seq (1-{MAX_SEQ})."
            ),
            OpenApiParameter("limit", int, description=f"1-{MAX_LIMIT}, default 50."),
            OpenApiParameter(
                "rev",
                int,
                description="With `after`: the `rev` of your last answer; `changed` then holds "
                "the messages up to `after` changed since.",
            ),
            OpenApiParameter(
                "markRead",
                bool,
                description="Default true: the other participant's returned messages become "
                "read. False fetches without reading (a hidden tab).",
            ),
        ],
        responses={200: MessageListOutput, 304: None, **ERRORS},
    )
    def get(self, request: Request) -> Response:
        params = message_list_params(request.query_params)
        user = request.user
        chat = access_chat(user=user, appointment_id=params["appointmentId"])
        page = chat_messages(
            chat, limit=params["limit"], after=params["after"], before=params["before"]
        )
        if params["markRead"] and page.rows:
            chat_mark_read(chat=chat, user=user, up_to_seq=page.rows[-1].seq)

        etag = etag_of(chat, params["after"], params["before"], params["limit"], params["rev"])
        headers = {"ETag": etag, "Cache-Control": "private, no-cache"}
        if etag in request.headers.get("If-None-Match", ""):
            return Response(status=HTTPStatus.NOT_MODIFIED, headers=headers)
        changed = []
        if params["rev"] is not None:
            changed = message_changes(chat=chat, up_to_seq=params["after"], since_rev=params["rev"])
        return Response(chat_page_json(chat, user, page, changed), headers=headers)

    @extend_schema(
        operation_id="chat_messages_send",
        summary="Send a message into an appointment's chat",
        request=SendMessageInput,
        responses={201: SendMessageOutput, 200: SendMessageOutput, 409: ErrorOutput, **ERRORS},
        description="201 for a new message; 200 with the stored message when `clientId` "
        "repeats one this sender already sent. 409 when the chat is read-only.\n\n"
        "`text` needs content; `image`, `video` and `file` need 1-10 attachments of that "
        "kind; `assessment` and `prescription` are for the appointment's veterinarian and carry "
        "a `payload` of their fields (a prescription's `medication` is required, and names it "
        "when `content` is empty).",
    )
    def post(self, request: Request) -> Response:
        data = validated(SendMessageInput, request.data)
        chat = access_chat(user=request.user, appointment_id=data["appointmentId"])
        sent = message_send(
            chat=chat,
            sender=request.user,
            content=data["content"],
            message_type=data["messageType"],
            payload=data["payload"],
            attachments=data["attachments"],
            client_id=data["clientId"],
            amends=data["amends"],
        )
        message = message_json(
            sent.message, is_read=chat.is_read(seq=sent.message.seq, sender_id=request.user.pk)
        )
        return Response(
            {"message": message, "success": True},
            status=HTTPStatus.CREATED if sent.created else HTTPStatus.OK,
        )


class MessageChangeInput(StrictSerializer):
    content = serializers.CharField(
        max_length=MAX_CONTENT_LENGTH, required=False, help_text="The corrected text."
    )
    retracted = serializers.BooleanField(
        required=False, help_text="`true` removes the message for its participants."
    )

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        if ("content" in data) == bool(data.get("retracted")):
            raise serializers.ValidationError(
                {"content": "Send either the corrected content or retracted: true."}
            )
        return data


class SingleMessageOutput(serializers.Serializer):
    message = MessageOutput()


def message_chat(user: Any, message_id: UUID) -> ChatHeader:
    """The chat holding this message, for a user who may use it; otherwise no such message."""
    appointment_id = appointment_of_message(message_id)
    if appointment_id is None:
        raise MessageNotFound
    try:
        return access_chat(user=user, appointment_id=appointment_id)
    except AppointmentNotFound as error:
        raise MessageNotFound from error


def single_message(chat: ChatHeader, row: MessageRow) -> Response:
    is_read = chat.is_read(seq=row.seq, sender_id=row.sender_id)
    return Response({"message": message_json(row, is_read=is_read)})


class MessageApi(APIView):
    @extend_schema(
        operation_id="chat_message_change",
        summary="Correct or retract a message you sent",
        request=MessageChangeInput,
        responses={200: SingleMessageOutput, 409: ErrorOutput, **ERRORS},
        description="The sender may correct a text message, or retract any message, for a "
        "short while after sending it (15 minutes unless the clinic says otherwise). Every "
        "version stays in the record; participants see that a message was edited or removed.",
    )
    def patch(self, request: Request, message_id: UUID) -> Response:
        data = validated(MessageChangeInput, request.data)
        chat = message_chat(request.user, message_id)
        if data.get("retracted"):
            row = message_retract(chat=chat, user=request.user, message_id=message_id)
        else:
            row = message_edit(
                chat=chat, user=request.user, message_id=message_id, content=data["content"]
            )
        return single_message(chat, row)


class AcknowledgementApi(APIView):
    @extend_schema(
        operation_id="chat_prescription_acknowledge",
        summary="Confirm, as the pet parent, that a prescription was read and understood",
        request=None,
        responses={200: SingleMessageOutput, 409: ErrorOutput, **ERRORS},
    )
    def post(self, request: Request, message_id: UUID) -> Response:
        chat = message_chat(request.user, message_id)
        row = prescription_acknowledge(chat=chat, user=request.user, message_id=message_id)
        return single_message(chat, row)


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
            ),
            **ERRORS,
        },
    )
    def get(self, request: Request) -> Response:
        params = validated(AppointmentParams, request.query_params)
        user = request.user
        chat = chat_for(user=user, appointment_id=params["appointmentId"])
        return Response(
            {
                "appointmentExists": True,
                "chatExists": chat.chat_id is not None,
                "appointmentId": str(chat.appointment_id),
                "userId": str(user.pk),
                "userRole": user.role,
                "message": "Appointment chat system is working correctly",
            }
        )
