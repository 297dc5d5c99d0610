"""The chat box of the appointment page as the server first paints it."""

from datetime import datetime
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts.models import User
from appointments.access import is_participant
from appointments.models import Appointment
from chat.flows import chat_view, load_chat
from chat.models import MAX_CONTENT_LENGTH

HISTORY_PAGE = 50


def initials(name: str) -> str:
    return User(name=name).initials


def message_items(messages: list[dict[str, Any]], user: User) -> list[dict[str, Any]]:
    """Messages ready for the template, with a day separator wherever the clinic's date changes."""
    items: list[dict[str, Any]] = []
    day = None
    for message in messages:
        sent: datetime = timezone.localtime(parse_datetime(message["createdAt"]))
        if sent.date() != day:
            day = sent.date()
            items.append({"separator": True, "day": sent})
        items.append(
            {
                **message,
                "id": message["_id"],
                "mine": message["senderId"] == str(user.pk),
                "sent": sent,
                "initials": initials(message["senderName"]),
            }
        )
    return items


def chat_context(
    request: HttpRequest, appointment: Appointment, draft: str = "", error: str = ""
) -> dict[str, Any]:
    """What the appointment page needs to show the chat box to one of the participants."""
    user = request.user
    if not is_participant(user, appointment):
        return {}
    chat_appointment, chat = load_chat(user, appointment.pk)
    body = chat_view(user=user, appointment=chat_appointment, chat=chat, limit=HISTORY_PAGE).body
    read_only = appointment.is_cancelled
    return {
        "chat": {
            "items": message_items(body["messages"], user),
            "has_more": body["hasMore"],
            "read_only": read_only,
            "is_vet": user.pk == appointment.veterinarian_id,
            "other_name": (
                appointment.pet_parent.display_name
                if user.pk == appointment.veterinarian_id
                else appointment.veterinarian.display_name
            ),
            "draft": draft,
            "error": error,
            "max_length": MAX_CONTENT_LENGTH,
            "other_last_read_seq": body["otherLastReadSeq"],
            # Handed to chat.js through json_script: no inline script, nothing unescaped.
            "data": {
                "appointmentId": str(appointment.pk),
                "me": str(user.pk),
                "myName": user.display_name,
                "apiUrl": reverse("api:chat_messages"),
                "timeZone": settings.TIME_ZONE,
                "readOnly": read_only,
                "lastSeq": body["lastSeq"],
                "oldestSeq": body["messages"][0]["seq"] if body["messages"] else None,
                "hasMore": body["hasMore"],
                "otherLastReadSeq": body["otherLastReadSeq"],
                "pageSize": HISTORY_PAGE,
                "maxLength": MAX_CONTENT_LENGTH,
            },
        }
    }
