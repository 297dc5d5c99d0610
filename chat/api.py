"""The appointment chat API, with the field names of the seed's contract.

Views parse, call access and services, and shape; every rule lives in `chat.rules`.
"""

import re
from collections.abc import Callable
from functools import wraps
from http import HTTPStatus
from typing import Any
from uuid import UUID

from django.core.validators import RegexValidator
from django.http import HttpRequest, HttpResponseBase, HttpResponseNotModified, QueryDict
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from appointments.access import AppointmentNotFound
from chat.limits import edit_allowed, poll_allowed, send_allowed
from chat.models import MAX_SEQ, Message
from chat.page import add_message_html, read_receipt_html
from chat.rules import MAX_ATTACHMENTS, SENDABLE_TYPES, MessageNotFound
from chat.scheduled import reply_send, scheduled_json
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
    chat_mark_unread,
    message_edit,
    message_retract,
    prescription_acknowledge,
)
from chat.shapes import chat_page_json, message_in_chat
from chat.sql import ChatHeader
from vetchat import observability
from vetchat.errors import DomainError
from vetchat.http import domain_error_response, json_response
from vetchat.negotiation import asks_for_json
from vetchat.schema import error_responses

MAX_REV = 2**63 - 1
MAX_LIMIT = 200
DEFAULT_LIMIT = 50
BOOLEANS = {"true": True, "1": True, "false": False, "0": False}
# `?limit=` reads as no limit given (see `message_list_params`); the schema says so.
EMPTY_MEANS_DEFAULT = {"x-allow-empty-value": True}
CLIENT_ID = r"[A-Za-z0-9_.:-]{1,64}"
CANONICAL_UUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
# `?render=html`: the chat page's own scripts ask every answer that carries messages for each
# message's HTML as the page draws it (`chat.page.add_message_html`), so that a message is drawn
# by one template only. Other clients leave it out and get the seed's shape, byte for byte.
RENDER_HTML = "html"
RENDER_ERROR = "Use html, or leave it out."
RENDER_PARAMETER = OpenApiParameter(
    "render",
    {"type": "string", "enum": [RENDER_HTML]},
    description="`html` adds to each message `html` (the message as the chat page draws it for "
    "you) and `dayHtml` (its day's separator); for the chat page's own scripts.",
    extensions=EMPTY_MEANS_DEFAULT,
)


def render_param(query: QueryDict) -> bool:
    """Whether the query asks for the messages' HTML (`?render=html`)."""
    render = query.get("render", "")
    if render not in ("", RENDER_HTML):
        raise serializers.ValidationError({"render": RENDER_ERROR})
    return render == RENDER_HTML


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
        ("limit", 1, MAX_LIMIT, DEFAULT_LIMIT),
        ("rev", 0, MAX_REV, None),
    ]:
        raw = query.get(name, "")
        if raw == "":
            params[name] = default
        elif raw.isascii() and raw.isdecimal() and low <= int(raw) <= high:
            params[name] = int(raw)
        else:
            errors[name] = f"Use a whole number from {low} to {high}."
    render = query.get("render", "")
    if render not in ("", RENDER_HTML):
        errors["render"] = RENDER_ERROR
    params["html"] = render == RENDER_HTML
    mark_read = query.get("markRead", "").lower() or "true"
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


class JsonString(serializers.CharField):
    """A JSON string taken as sent: a number is not text, and whitespace is for the rules."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class JsonInteger(serializers.IntegerField):
    """A JSON integer: not a string of digits, not a float, not a boolean."""

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class JsonUuid(serializers.UUIDField):
    """A JSON string in the form `format: uuid` means (8-4-4-4-12 hex digits): not a number,
    braces, `urn:uuid:` or bare hex, which DRF's field would also take."""

    def to_internal_value(self, data: Any) -> UUID:
        if not isinstance(data, str) or not CANONICAL_UUID.fullmatch(data):
            self.fail("invalid", value=data)
        return super().to_internal_value(data)


class JsonBoolean(serializers.BooleanField):
    """A JSON true or false: not 0, 1 or "yes"."""

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


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


class AttachmentInput(StrictSerializer):
    """An upload of this sender into this chat (`POST …/attachments`), named by its id."""

    id = serializers.UUIDField()


class SendMessageInput(StrictSerializer):
    """Every message type's fields; `chat.openapi` documents which each type needs."""

    appointmentId = serializers.UUIDField()
    content = JsonString(required=False, allow_blank=True, default="")
    messageType = serializers.ChoiceField(choices=SENDABLE_TYPES, default=Message.Type.TEXT)
    payload = serializers.JSONField(required=False, allow_null=True, default=None)
    attachments = AttachmentInput(many=True, required=False, default=list)
    clientId = JsonString(
        required=False,
        allow_null=True,
        default=None,
        validators=[
            RegexValidator(rf"\A{CLIENT_ID}\Z", message="Use 1-64 letters, digits, or - _ . :")
        ],
    )
    amends = serializers.UUIDField(
        required=False,
        allow_null=True,
        default=None,
        help_text="For an assessment or prescription: the `_id` of the earlier one it corrects.",
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
    senderRole = serializers.CharField(
        help_text="Shown beside the name: a clinic member's job title or role, or Pet parent."
    )
    content = serializers.CharField(allow_blank=True)
    messageType = serializers.ChoiceField(choices=Message.Type.choices)
    isRead = serializers.BooleanField(
        help_text="Read by someone on the other side (the care team, or the pet's owners)."
    )
    readBy = serializers.CharField(allow_null=True, help_text="Who on the other side read it.")
    isDelivered = serializers.BooleanField()
    createdAt = serializers.DateTimeField()
    updatedAt = serializers.DateTimeField()
    payload = serializers.DictField(
        required=False,
        help_text="A structured message's fields: text for an assessment or a prescription; for "
        "an intake its category, categoryLabel and answers ({questionId, question, answer}).",
    )
    attachments = inline_serializer(
        "Attachment",
        {
            "id": serializers.UUIDField(),
            "url": serializers.CharField(),
            "name": serializers.CharField(),
            "contentType": serializers.CharField(),
            "size": serializers.IntegerField(),
            "width": serializers.IntegerField(required=False),
            "height": serializers.IntegerField(required=False),
            "durationSeconds": serializers.FloatField(required=False),
            "thumbnailUrl": serializers.CharField(required=False),
        },
        many=True,
        required=False,
    )
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
    html = serializers.CharField(
        required=False, help_text="With `render=html`: the message as the chat page draws it."
    )
    dayHtml = serializers.CharField(
        required=False,
        help_text="With `render=html`: the separator of its day, shown above the day's first "
        "message.",
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
        help_text="How far the other side has read: your messages up to it are read."
    )
    otherReaderName = serializers.CharField(
        allow_null=True, help_text="Who on the other side read that far."
    )
    readReceiptHtml = serializers.CharField(
        required=False,
        help_text="With `render=html`: the receipt of your messages up to `otherLastReadSeq`, "
        "as the chat page draws it.",
    )


class SendMessageOutput(serializers.Serializer):
    message = MessageOutput()
    success = serializers.BooleanField()


# Views ---------------------------------------------------------------------------------------


def etag_of(chat: ChatHeader, *parts: int | str | None) -> str:
    """Changes whenever the answer to the same request would: new messages or a moved cursor."""
    state = (chat.last_seq, chat.rev, *chat.read_seqs.values(), *parts)
    return '"' + ".".join("-" if part is None else str(part) for part in state) + '"'


def messages_answer(
    request: HttpRequest | Request, params: dict[str, Any]
) -> tuple[dict[str, Any] | None, dict[str, str]]:
    """The messages GET once it is allowed: the body (None when `If-None-Match` still holds)
    and the headers."""
    user = request.user
    chat = access_chat(user=user, appointment_id=params["appointmentId"])
    page = chat_messages(
        chat, limit=params["limit"], after=params["after"], before=params["before"]
    )
    # A link or form on another site (`Sec-Fetch-Site: cross-site`) sends the user's cookie too,
    # but the user read nothing: such a fetch is answered and marks nothing read. Without the
    # header (older browsers, programs) the fetch marks as the seed's did.
    cross_site = request.META.get("HTTP_SEC_FETCH_SITE") == "cross-site"
    if params["markRead"] and page.rows and not cross_site:
        chat_mark_read(chat=chat, user=user, up_to_seq=page.rows[-1].seq)

    # The HTML is another answer to the same question, so it has another ETag.
    html = (RENDER_HTML,) if params["html"] else ()
    etag = etag_of(chat, params["after"], params["before"], params["limit"], params["rev"], *html)
    headers = {"ETag": etag, "Cache-Control": "private, no-cache, no-store"}
    if etag in request.META.get("HTTP_IF_NONE_MATCH", ""):
        return None, headers
    if params["after"] is not None and page.rows:
        observability.resynced(len(page.rows))
    changed = []
    if params["rev"] is not None:
        changed = message_changes(chat=chat, up_to_seq=params["after"], since_rev=params["rev"])
    body = chat_page_json(chat, user, page, changed)
    if html:
        add_message_html(chat=chat, user=user, messages=[*body["messages"], *body["changed"]])
        body["readReceiptHtml"] = read_receipt_html(body["otherReaderName"])
    return body, headers


def answered_without_drf(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """The messages view, with the poll of every open chat (a signed-in GET asking for JSON)
    answered before DRF wraps, authenticates and negotiates it: that was a twelfth of a poll's
    Python (docs/benchmarks.md). The same access, rate and ETag code answers; anything else,
    and the wording of a bad query, is DRF's as before."""

    @wraps(view)  # keeps `cls` and `initkwargs`, which the schema generator reads
    def messages(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        signed_in = request.user.is_authenticated
        if request.method != "GET" or not signed_in or not asks_for_json(request):
            return view(request, *args, **kwargs)
        try:
            params = message_list_params(request.GET)
        except serializers.ValidationError:
            return view(request, *args, **kwargs)
        try:
            poll_allowed(request=request)
            body, headers = messages_answer(request, params)
        except DomainError as error:
            return domain_error_response(error)
        if body is None:
            return HttpResponseNotModified(headers=headers)
        return json_response(body, headers=headers)

    return messages


class MessagesApi(APIView):
    @extend_schema(
        operation_id="chat_messages_list",
        summary="Messages of an appointment's chat, oldest first",
        description="The latest `limit` messages; with `after`, newer ones; with `before`, "
        "older ones (`after` and `before` together are refused). An empty value means the "
        "default.",
        parameters=[
            OpenApiParameter("appointmentId", OpenApiTypes.UUID, required=True),
            OpenApiParameter(
                "after",
                {"type": "integer", "minimum": 0, "maximum": MAX_SEQ},
                description="Only messages newer than this seq.",
                extensions=EMPTY_MEANS_DEFAULT,
            ),
            OpenApiParameter(
                "before",
                {"type": "integer", "minimum": 1, "maximum": MAX_SEQ},
                description="Only messages older than this seq.",
                extensions=EMPTY_MEANS_DEFAULT,
            ),
            OpenApiParameter(
                "limit",
                {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
                extensions=EMPTY_MEANS_DEFAULT,
            ),
            OpenApiParameter(
                "rev",
                {"type": "integer", "minimum": 0, "maximum": MAX_REV},
                description="With `after` (and only with it): the `rev` of your last answer; "
                "`changed` then holds the messages up to `after` changed since.",
                extensions=EMPTY_MEANS_DEFAULT,
            ),
            OpenApiParameter(
                "markRead",
                {"type": "boolean", "default": True},
                description="True: the other participant's returned messages become read. "
                "False fetches without reading (a hidden tab). A request another site made "
                "(`Sec-Fetch-Site: cross-site`) reads nothing either way.",
                extensions=EMPTY_MEANS_DEFAULT,
            ),
            RENDER_PARAMETER,
            OpenApiParameter(
                "If-None-Match",
                str,
                location=OpenApiParameter.HEADER,
                description="The ETag of an earlier answer to the same request.",
            ),
            OpenApiParameter(
                "ETag",
                str,
                location=OpenApiParameter.HEADER,
                response=[200, 304],
                description="Send it back as If-None-Match to get 304 while nothing changed.",
            ),
        ],
        responses={
            200: MessageListOutput,
            304: OpenApiResponse(description="Nothing changed since the If-None-Match ETag."),
            **error_responses(400, 401, 403, 404),
        },
    )
    def get(self, request: Request) -> Response | HttpResponseNotModified:
        poll_allowed(request=request)
        body, headers = messages_answer(request, message_list_params(request.query_params))
        if body is None:
            return HttpResponseNotModified(headers=headers)  # no body, so nothing to render
        return Response(body, headers=headers)

    @extend_schema(
        operation_id="chat_messages_send",
        summary="Send a message into an appointment's chat",
        request=SendMessageInput,
        parameters=[RENDER_PARAMETER],
        responses={
            201: OpenApiResponse(SendMessageOutput, description="A new message."),
            200: OpenApiResponse(
                SendMessageOutput,
                description="`clientId` repeats one this sender used: the message stored then.",
            ),
            202: OpenApiResponse(
                inline_serializer(
                    "HeldReply",
                    {"held": serializers.JSONField(), "success": serializers.BooleanField()},
                ),
                description="A reply of the care team held while the clinic is closed (when the "
                "clinic holds them): `held` is the scheduled message, sent when the clinic opens "
                "(see `/api/appointments/{id}/scheduled/`).",
            ),
            **error_responses(400, 401, 403, 404, 409, 413, 415),
        },
        description="The body's schema depends on `messageType`: `text` needs content; "
        f"`image`, `video` and `file` need 1-{MAX_ATTACHMENTS} attachments of that kind "
        '(`{"id"}` of the sender\'s uploads into this chat not sent yet; a file message '
        "takes any kind); "
        "`assessment` and `prescription` are for the appointment's veterinarian and may carry a "
        "`payload` of their fields (a prescription's payload names its `medication`, which "
        "stands for the text when `content` is empty); without one, the content alone is the "
        "message, as the seed's clients send it.",
    )
    def post(self, request: Request) -> Response:
        html = render_param(request.query_params)
        data = validated(SendMessageInput, request.data)
        chat = access_chat(user=request.user, appointment_id=data["appointmentId"])
        send_allowed(user=request.user)
        replied = reply_send(
            chat=chat,
            sender=request.user,
            content=data["content"],
            message_type=data["messageType"],
            payload=data["payload"],
            attachments=[attachment["id"] for attachment in data["attachments"]],
            client_id=data["clientId"],
            amends=data["amends"],
            now=timezone.now(),
        )
        if replied.held is not None:
            # Held until the clinic opens (`chat.scheduled`): stored, not yet a message.
            return Response(
                {"held": scheduled_json(replied.held, user=request.user), "success": True},
                status=HTTPStatus.ACCEPTED,
            )
        sent = replied.sent
        message = message_in_chat(sent.message, chat)
        if html:
            add_message_html(chat=chat, user=request.user, messages=[message])
        return Response(
            {"message": message, "success": True},
            status=HTTPStatus.CREATED if sent.created else HTTPStatus.OK,
        )


class MessageChangeInput(StrictSerializer):
    content = JsonString(required=False, help_text="The corrected text.")
    retracted = JsonBoolean(
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


def single_message(request: Request, chat: ChatHeader, row: MessageRow, *, html: bool) -> Response:
    message = message_in_chat(row, chat)
    if html:
        add_message_html(chat=chat, user=request.user, messages=[message])
    return Response({"message": message})


class MessageApi(APIView):
    @extend_schema(
        operation_id="chat_message_change",
        summary="Correct or retract a message you sent",
        request=MessageChangeInput,
        parameters=[RENDER_PARAMETER],
        responses={
            200: SingleMessageOutput,
            **error_responses(400, 401, 403, 404, 409, 413, 415, 429),
        },
        description="The sender may correct a text message, or retract any message, for a "
        "short while after sending it (15 minutes unless the clinic says otherwise). Every "
        "version stays in the record; participants see that a message was edited or removed.",
    )
    def patch(self, request: Request, message_id: UUID) -> Response:
        html = render_param(request.query_params)
        data = validated(MessageChangeInput, request.data)
        chat = message_chat(request.user, message_id)
        edit_allowed(user=request.user)
        if data.get("retracted"):
            row = message_retract(chat=chat, user=request.user, message_id=message_id)
        else:
            row = message_edit(
                chat=chat, user=request.user, message_id=message_id, content=data["content"]
            )
        return single_message(request, chat, row, html=html)


class AcknowledgementApi(APIView):
    @extend_schema(
        operation_id="chat_prescription_acknowledge",
        summary="Confirm, as the pet parent, that a prescription was read and understood",
        request=None,
        parameters=[RENDER_PARAMETER],
        responses={200: SingleMessageOutput, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request: Request, message_id: UUID) -> Response:
        html = render_param(request.query_params)
        chat = message_chat(request.user, message_id)
        row = prescription_acknowledge(chat=chat, user=request.user, message_id=message_id)
        return single_message(request, chat, row, html=html)


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
                    "userRole": serializers.ChoiceField(
                        choices=["pet_parent", "veterinarian", "technician"]
                    ),
                    "message": serializers.CharField(),
                },
            ),
            **error_responses(400, 401, 403, 404),
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


class MarkUnreadInput(StrictSerializer):
    appointmentId = JsonUuid()
    fromMessageId = JsonUuid(help_text="The first message to show as unread again.")


class MarkUnreadApi(APIView):
    @extend_schema(
        operation_id="chat_mark_unread",
        summary="Mark the chat unread from a message, for yourself",
        request=MarkUnreadInput,
        responses={
            200: inline_serializer(
                "MarkedUnread",
                {
                    "unreadFromSeq": serializers.IntegerField(),
                    "success": serializers.BooleanField(),
                },
            ),
            **error_responses(400, 401, 403, 404, 415),
        },
        description="Your lists and unread counts show the chat's messages from others, from "
        "this one on, as unread until you read the chat again. Read receipts that others "
        "already saw stay as they were.",
    )
    def post(self, request: Request) -> Response:
        data = validated(MarkUnreadInput, request.data)
        chat = access_chat(user=request.user, appointment_id=data["appointmentId"])
        seq = chat_mark_unread(chat=chat, user=request.user, from_message_id=data["fromMessageId"])
        return Response({"unreadFromSeq": seq, "success": True})
