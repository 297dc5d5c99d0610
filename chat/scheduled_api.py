"""The API of scheduled messages: the clinic's side lists, writes, changes, cancels and sends
at once the messages of a chat that go later. Views parse, call access and `chat.scheduled`,
and shape."""

from datetime import datetime
from http import HTTPStatus
from typing import Any
from uuid import UUID

from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from appointments.access import Action
from chat.api import JsonString, StrictSerializer, validated
from chat.models import MAX_CONTENT_LENGTH
from chat.scheduled import (
    scheduled_cancel,
    scheduled_create,
    scheduled_json,
    scheduled_of_chat,
    scheduled_send_now,
    scheduled_update,
)
from chat.services import access_chat
from chat.sql import ChatHeader
from tenancy.zones import clinic_zone
from vetchat.schema import error_responses

SEND_AT_HELP = (
    "When to send it: an ISO 8601 date and time, e.g. `2026-03-02T08:00`; without an offset it "
    "is read on the clinic's clock."
)


class SendAtField(serializers.CharField):
    """An ISO 8601 moment; one without an offset is read in the clinic's zone, which the view
    applies (`moment_in`)."""

    def to_internal_value(self, data: Any) -> datetime:
        if not isinstance(data, str):
            self.fail("invalid")
        try:
            return datetime.fromisoformat(data.strip())
        except ValueError:
            raise serializers.ValidationError(
                "Use a date and time such as 2026-03-02T08:00."
            ) from None


class ScheduledInput(StrictSerializer):
    content = JsonString(max_length=MAX_CONTENT_LENGTH + 1000)
    sendAt = SendAtField(help_text=SEND_AT_HELP)


class ScheduledChangeInput(StrictSerializer):
    content = JsonString(required=False, max_length=MAX_CONTENT_LENGTH + 1000)
    sendAt = SendAtField(required=False, help_text=SEND_AT_HELP)

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        if not data:
            raise serializers.ValidationError("Give content, sendAt or both.")
        return data


SCHEDULED_OUTPUT = inline_serializer(
    "ScheduledMessage",
    {
        "_id": serializers.UUIDField(),
        "kind": serializers.ChoiceField(choices=["scheduled", "held"]),
        "content": serializers.CharField(),
        "sendAt": serializers.DateTimeField(),
        "status": serializers.ChoiceField(choices=["pending", "sent", "failed", "cancelled"]),
        "failure": serializers.CharField(allow_null=True),
        "writer": inline_serializer(
            "ScheduledWriter", {"_id": serializers.UUIDField(), "name": serializers.CharField()}
        ),
        "mine": serializers.BooleanField(),
    },
)
ONE = inline_serializer("OneScheduled", {"scheduled": SCHEDULED_OUTPUT})


def moment_in(chat: ChatHeader, moment: datetime) -> datetime:
    """A moment without an offset is the clinic's wall-clock time."""
    if timezone.is_naive(moment):
        return timezone.make_aware(moment, clinic_zone(chat.clinic_id))
    return moment


def _chat(request: Request, appointment_id: UUID) -> ChatHeader:
    return access_chat(user=request.user, appointment_id=appointment_id, action=Action.SCHEDULE)


class ScheduledListApi(APIView):
    @extend_schema(
        operation_id="chat_scheduled_list",
        summary="The messages of a chat that wait to be sent",
        responses={
            200: inline_serializer("ScheduledList", {"scheduled": SCHEDULED_OUTPUT}),
            **error_responses(401, 403, 404),
        },
        description="For the appointment's care team: every pending message (anyone's), and "
        "your own that could not be sent, with the reason. The pet's owners never see them.",
    )
    def get(self, request: Request, appointment_id: UUID) -> Response:
        chat = _chat(request, appointment_id)
        rows = scheduled_of_chat(chat_id=chat.chat_id, user=request.user)
        return Response({"scheduled": [scheduled_json(row, user=request.user) for row in rows]})

    @extend_schema(
        operation_id="chat_scheduled_create",
        summary="Write a message that is sent later",
        request=ScheduledInput,
        responses={201: ONE, **error_responses(400, 401, 403, 404, 409, 415)},
        description="Checked now by the rules of a message sent now, and again when it goes: "
        "if you lost access or the chat closed meanwhile, it is not sent and shows as failed.",
    )
    def post(self, request: Request, appointment_id: UUID) -> Response:
        data = validated(ScheduledInput, request.data)
        chat = _chat(request, appointment_id)
        row = scheduled_create(
            chat=chat,
            writer=request.user,
            content=data["content"],
            send_at=moment_in(chat, data["sendAt"]),
            now=timezone.now(),
        )
        return Response(
            {"scheduled": scheduled_json(row, user=request.user)}, status=HTTPStatus.CREATED
        )


class ScheduledApi(APIView):
    @extend_schema(
        operation_id="chat_scheduled_change",
        summary="Change the text or the time of your scheduled message",
        request=ScheduledChangeInput,
        responses={200: ONE, **error_responses(400, 401, 403, 404, 409, 415)},
    )
    def patch(self, request: Request, appointment_id: UUID, scheduled_id: UUID) -> Response:
        data = validated(ScheduledChangeInput, request.data)
        chat = _chat(request, appointment_id)
        send_at = data.get("sendAt")
        row = scheduled_update(
            chat=chat,
            writer=request.user,
            scheduled_id=scheduled_id,
            now=timezone.now(),
            content=data.get("content"),
            send_at=None if send_at is None else moment_in(chat, send_at),
        )
        return Response({"scheduled": scheduled_json(row, user=request.user)})

    @extend_schema(
        operation_id="chat_scheduled_cancel",
        summary="Cancel your scheduled message, or put away one that failed",
        request=None,
        responses={200: ONE, **error_responses(401, 403, 404, 409)},
    )
    def delete(self, request: Request, appointment_id: UUID, scheduled_id: UUID) -> Response:
        chat = _chat(request, appointment_id)
        row = scheduled_cancel(
            chat=chat, writer=request.user, scheduled_id=scheduled_id, now=timezone.now()
        )
        return Response({"scheduled": scheduled_json(row, user=request.user)})


class ScheduledSendNowApi(APIView):
    @extend_schema(
        operation_id="chat_scheduled_send_now",
        summary="Send your scheduled or held message now",
        request=None,
        responses={200: ONE, **error_responses(401, 403, 404, 409)},
    )
    def post(self, request: Request, appointment_id: UUID, scheduled_id: UUID) -> Response:
        chat = _chat(request, appointment_id)
        row = scheduled_send_now(
            chat=chat, writer=request.user, scheduled_id=scheduled_id, now=timezone.now()
        )
        return Response({"scheduled": scheduled_json(row, user=request.user)})
