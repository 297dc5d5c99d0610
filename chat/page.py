"""The chat box of the appointment page as the server first paints it."""

from dataclasses import asdict
from datetime import datetime
from typing import Any
from uuid import UUID

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts.models import User
from appointments.access import Action, may
from chat.models import MAX_CONTENT_LENGTH, Message
from chat.rules import MAX_ATTACHMENTS, PAYLOAD_FIELDS, follow_up_closes_at, read_only_reason
from chat.selectors import amendable, amendments_of, chat_messages, message_window
from chat.services import access_chat, chat_mark_read
from chat.shapes import messages_json, other_side_read, payload_fields_json
from vetchat.errors import DomainError

HISTORY_PAGE = 50
# Opened at a message (a search result): this many messages on either side of it.
AROUND = 25
# The box a thumbnail is drawn in, in CSS px: its width and height attributes are the picture's
# scaled to fit, so the page keeps the place before the bytes arrive (no layout shift).
# static/js/chat/view.js draws messages that arrive later with the same numbers.
THUMB_BOX = 320
# The size of the server's larger thumbnail, which the full-size viewer shows.
VIEW_SIZE = 1280


def attachment_item(attachment: dict[str, Any]) -> dict[str, Any]:
    """An attachment as the template draws it: an image, a video or a document card, by its
    own content type (a file message may hold pictures), with the thumbnail's drawn size."""
    content_type = str(attachment.get("contentType", "")).lower()
    kind = content_type.split("/")[0] if content_type.startswith(("image/", "video/")) else "file"
    item = {
        **attachment,
        "kind": kind,
        "icon": "PDF" if content_type == "application/pdf" else "FILE",
    }
    thumbnail = attachment.get("thumbnailUrl")
    if thumbnail:
        item["viewUrl"] = f"{thumbnail}{'&' if '?' in thumbnail else '?'}size={VIEW_SIZE}"
    width, height = attachment.get("width"), attachment.get("height")
    if width and height:
        scale = min(1, THUMB_BOX / width, THUMB_BOX / height)
        # Halves round up, as JavaScript's Math.round does (Python's round() goes to even).
        item["thumbWidth"] = max(1, int(width * scale + 0.5))
        item["thumbHeight"] = max(1, int(height * scale + 0.5))
    return item


def message_items(
    messages: list[dict[str, Any]],
    user: User,
    *,
    is_parent: bool,
    amended_by: dict[str, list[int]],
) -> list[dict[str, Any]]:
    """Messages ready for the template, with a day separator wherever the clinic's date changes
    and on each assessment or prescription the later messages that amend it."""
    items: list[dict[str, Any]] = []
    day = None
    for message in messages:
        sent: datetime = timezone.localtime(parse_datetime(message["createdAt"]))
        if sent.date() != day:
            day = sent.date()
            items.append({"separator": True, "day": sent})
        kind = message["messageType"]
        payload = message.get("payload") or {}
        mine = message["senderId"] == str(user.pk)
        acknowledged = message.get("acknowledgedAt")
        items.append(
            {
                **message,
                "attachments": [attachment_item(a) for a in message.get("attachments") or []],
                "id": message["_id"],
                "mine": mine,
                "sent": sent,
                "removed": bool(message["retractedAt"]),
                "acknowledged_at": timezone.localtime(parse_datetime(acknowledged))
                if acknowledged
                else None,
                "awaits_acknowledgement": "acknowledgedAt" in message
                and not acknowledged
                and is_parent,
                "label": Message.Type(kind).label if kind in PAYLOAD_FIELDS else "",
                "amends_id": message["amends"]["_id"] if "amends" in message else "",
                "amended_by": amended_by.get(message["_id"], []),
                "details": [
                    (field.label, payload[field.name])
                    for field in PAYLOAD_FIELDS.get(kind, ())
                    if payload.get(field.name)
                ],
            }
        )
    return items


def structured_types(draft: dict[str, Any]) -> list[dict[str, Any]]:
    """The composer's fieldsets of the structured types, holding a refused draft's values."""
    drafted = draft.get("messageType")
    values = draft.get("payload") or {}
    return [
        {
            "name": kind,
            "label": Message.Type(kind).label,
            "fields": [
                {**asdict(field), "value": values.get(field.name, "") if kind == drafted else ""}
                for field in fields
            ],
        }
        for kind, fields in PAYLOAD_FIELDS.items()
    ]


def chat_box(
    *,
    user: User,
    appointment_id: UUID,
    draft: dict[str, Any] | None = None,
    error: DomainError | None = None,
    focus: UUID | None = None,
    amend: UUID | None = None,
) -> dict[str, Any]:
    """What the appointment page shows of its chat to someone who takes part in it.

    Opening the page reads the latest messages, as a client would through the API; opened at a
    message of the chat (`focus`), it reads the messages around that one instead, and the page
    loads the later ones on request. `draft` and `error` hand a refused plain-form post back to
    its author: the error's message above the composer, each field's own error beside that field.
    `amend` (an assessment or prescription) opens a vet's composer on a copy of it to amend.
    """
    chat = access_chat(user=user, appointment_id=appointment_id)
    window = message_window(chat, message_id=focus, before=AROUND, after=AROUND) if focus else None
    if window is None:
        focus = None
        latest = chat_messages(chat, limit=HISTORY_PAGE)
        rows, has_more, has_later = latest.rows, latest.has_more, False
    else:
        rows, has_more, has_later = window.rows, window.has_older, window.has_newer
    if rows:
        chat_mark_read(chat=chat, user=user, up_to_seq=rows[-1].seq)
    messages = messages_json(rows, chat)
    cards = [m["_id"] for m in messages if m["messageType"] in PAYLOAD_FIELDS]
    is_vet = may(user, chat, Action.PRESCRIBE)  # the appointment's vet or a vet on its team
    is_parent = user.pk == chat.pet_parent_id or user.pk in chat.co_owner_ids
    read_only_notice = read_only_reason(chat)
    read_only = bool(read_only_notice)
    amending = None
    if is_vet and not read_only and (amend or (draft and draft.get("amends"))):
        amending = amendable(chat.chat_id, (draft or {}).get("amends") or amend)
    draft = draft or amending or {}
    return {
        "chat_id": chat.chat_id,
        "items": message_items(
            messages,
            user,
            is_parent=is_parent,
            amended_by=amendments_of(chat.chat_id, cards),
        ),
        "has_more": has_more,
        "has_later": has_later,
        "focus_id": str(focus) if focus else "",
        "read_only": read_only,
        "read_only_notice": read_only_notice,
        "open_until": None if read_only else follow_up_closes_at(chat),
        "is_vet": is_vet,
        "is_parent": is_parent,
        "amending": amending,
        "other_name": chat.veterinarian_name if is_parent else chat.pet_parent_name,
        "draft": draft,
        "error": error.message if error else "",
        "errors": error.fields if error else {},
        "structured_types": structured_types(draft),
        "max_length": MAX_CONTENT_LENGTH,
        # Handed to the chat's modules through json_script: no inline script, nothing unescaped.
        "data": {
            "appointmentId": str(appointment_id),
            "me": str(user.pk),
            "myName": user.display_name,
            "myInitials": user.initials,
            "apiUrl": reverse("api:chat_messages"),
            "socketPath": f"/ws/appointment-chat/{appointment_id}/",
            "pollMs": settings.CHAT_POLL_SECONDS * 1000,
            "timeZone": settings.TIME_ZONE,
            "readOnly": read_only,
            "rev": chat.rev,
            "isParent": is_parent,
            "isVet": is_vet,
            # A message's Amend link: this, its id in place of the zeros.
            "amendUrl": reverse("appointment_detail", args=[appointment_id])
            + "?amend=00000000-0000-0000-0000-000000000000#composer-text",
            "petName": chat.pet_name,
            "editWindowSeconds": int(settings.VETCHAT_EDIT_WINDOW.total_seconds()),
            "acknowledgeUrl": reverse(
                "chat_acknowledge", args=[appointment_id, "00000000-0000-0000-0000-000000000000"]
            ),
            # Polls resume after the newest message shown; while later ones are not loaded yet
            # (`hasLater`), the page loads them on request before it goes live.
            "lastSeq": rows[-1].seq if has_later else chat.last_seq,
            "oldestSeq": messages[0]["seq"] if messages else None,
            "hasMore": has_more,
            "hasLater": has_later,
            "focusId": str(focus) if focus else None,
            **other_side_read(chat, user),
            "isClinic": user.is_clinic,
            "unreadUrl": reverse("api:chat_unread"),
            "markUnreadFormUrl": reverse(
                "chat_mark_unread", args=[appointment_id, "00000000-0000-0000-0000-000000000000"]
            ),
            "pageSize": HISTORY_PAGE,
            "maxLength": MAX_CONTENT_LENGTH,
            "maxAttachments": MAX_ATTACHMENTS,
            "attachmentsUrl": reverse("api:attachments"),
            # For the page to refuse at once a file the server would refuse after its upload;
            # the server still judges by content.
            "uploadLimits": {
                "image": settings.VETCHAT_IMAGE_MAX_BYTES,
                "video": settings.VETCHAT_VIDEO_MAX_BYTES,
                "file": settings.VETCHAT_DOCUMENT_MAX_BYTES,
            },
            "messageFields": payload_fields_json(),
            "typeLabels": {kind: Message.Type(kind).label for kind in PAYLOAD_FIELDS},
        },
    }
