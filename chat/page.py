"""The chat box of the appointment page as the server paints it, and each message's HTML for
the page's scripts: `templates/chat/_message.html` is the one drawing of a message."""

from collections.abc import Callable
from dataclasses import asdict
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from django.conf import settings
from django.template.loader import get_template
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts.models import User
from appointments.access import Action, may
from appointments.participants import is_clinic
from chat.models import MAX_CONTENT_LENGTH, Message
from chat.rules import (
    MAX_ATTACHMENTS,
    PAYLOAD_FIELDS,
    follow_up_closes_at,
    payload_checks,
    read_only_reason,
)
from chat.selectors import amendable, amendments_of, chat_messages, message_window
from chat.services import access_chat, chat_mark_read
from chat.shapes import messages_json, other_side_read
from chat.sql import ChatHeader
from tenancy.zones import clinic_zone
from vetchat.errors import DomainError

HISTORY_PAGE = 50
# Opened at a message (a search result): this many messages on either side of it.
AROUND = 25
# The box a thumbnail is drawn in, in CSS px: its width and height attributes are the picture's
# scaled to fit, so the page keeps the place before the bytes arrive (no layout shift).
THUMB_BOX = 320
# The size of the server's larger thumbnail, which the full-size viewer shows.
VIEW_SIZE = 1280

# Notes an app above the chat draws under messages (a reply's expected time, a red flag's
# advice): `(chat_id, messages as chat.shapes shapes them, viewer) -> {message id: html}`. Each
# is asked once per page of messages, so a page's queries do not grow with its length.
MessageNotes = Callable[[int, list[dict[str, Any]], User], dict[str, str]]
_note_sources: list[MessageNotes] = []


def register_message_notes(source: MessageNotes) -> MessageNotes:
    """Register a source of notes under messages, in the app's `AppConfig.ready()`."""
    if source not in _note_sources:
        _note_sources.append(source)
    return source


def message_notes(chat_id: int, messages: list[dict[str, Any]], user: User) -> dict[str, list]:
    """Every registered source's notes for these messages, by message id, in sources' order."""
    notes: dict[str, list] = {}
    if not messages:
        return notes
    for source in _note_sources:
        for message_id, html in source(chat_id, messages, user).items():
            notes.setdefault(message_id, []).append(html)
    return notes


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
        # Halves round up (Python's round() goes to even).
        item["thumbWidth"] = max(1, int(width * scale + 0.5))
        item["thumbHeight"] = max(1, int(height * scale + 0.5))
    return item


def message_item(
    message: dict[str, Any],
    user: User,
    *,
    is_parent: bool,
    amended_by: dict[str, list[int]],
    zone: ZoneInfo,
    notes: dict[str, list] | None = None,
) -> dict[str, Any]:
    """A message (as `chat.shapes` shapes it) ready for `chat/_message.html`, with the later
    messages that amend it when it is an assessment or prescription; `zone` is the clinic's;
    `notes` what other apps draw under messages (`message_notes`)."""
    kind = message["messageType"]
    payload = message.get("payload") or {}
    acknowledged = message.get("acknowledgedAt")
    return {
        **message,
        **intake_card(kind, message, payload),
        "attachments": [attachment_item(a) for a in message.get("attachments") or []],
        "id": message["_id"],
        "mine": message["senderId"] == str(user.pk),
        # The clinic's date and time: the day separators and the clock follow its time zone.
        "sent": timezone.localtime(parse_datetime(message["createdAt"]), zone),
        "removed": bool(message["retractedAt"]),
        "acknowledged_at": timezone.localtime(parse_datetime(acknowledged), zone)
        if acknowledged
        else None,
        "awaits_acknowledgement": "acknowledgedAt" in message and not acknowledged and is_parent,
        "label": Message.Type(kind).label if kind in PAYLOAD_FIELDS else "",
        "amends_id": message["amends"]["_id"] if "amends" in message else "",
        "amended_by": amended_by.get(message["_id"], []),
        "notes": (notes or {}).get(message["_id"], []),
        "details": [
            (field.label, payload[field.name])
            for field in PAYLOAD_FIELDS.get(kind, ())
            if payload.get(field.name)
        ],
    }


def intake_card(kind: str, message: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
    """An intake as a card the clinic reads at a glance: its category, each question with its
    answer, and the parent's own words as its text."""
    if kind != Message.Type.INTAKE or not payload or kind not in payload_checks:
        return {}
    return {
        "intake": {
            "category": payload.get("categoryLabel", ""),
            "answers": [(a["question"], a["answer"]) for a in payload.get("answers") or []],
        },
        "content": payload_checks[kind].own_words(message["content"], payload),
    }


def message_items(
    messages: list[dict[str, Any]],
    user: User,
    *,
    is_parent: bool,
    amended_by: dict[str, list[int]],
    zone: ZoneInfo,
    notes: dict[str, list] | None = None,
) -> list[dict[str, Any]]:
    """Messages ready for the template, with a day separator wherever the clinic's date
    changes."""
    items: list[dict[str, Any]] = []
    day = None
    for message in messages:
        item = message_item(
            message, user, is_parent=is_parent, amended_by=amended_by, zone=zone, notes=notes
        )
        if item["sent"].date() != day:
            day = item["sent"].date()
            items.append({"separator": True, "day": item["sent"]})
        items.append(item)
    return items


def is_parent_of(user: User, chat: ChatHeader) -> bool:
    """The pet's owner or a co-owner: the side that acknowledges prescriptions."""
    return user.pk == chat.pet_parent_id or user.pk in chat.co_owner_ids


def add_message_html(*, chat: ChatHeader, user: User, messages: list[dict[str, Any]]) -> None:
    """Adds to each of these messages (as `chat.shapes` shapes them, for this user) the HTML the
    page shows: `html`, the message as `chat/_message.html` draws it for this user, and
    `dayHtml`, the separator of its day in the clinic's time zone, which the page puts before
    it when the message above is of another day. The page's scripts insert these and draw no
    message themselves. One query, for the amendments of assessments and prescriptions, and
    only when some are among them."""
    if not messages:
        return
    cards = [m["_id"] for m in messages if m["messageType"] in PAYLOAD_FIELDS]
    amended_by = amendments_of(chat.chat_id, cards)
    is_parent = is_parent_of(user, chat)
    context = {
        "appointment": {"pk": chat.appointment_id},
        "chat": {
            "focus_id": "",
            "is_vet": may(user, chat, Action.PRESCRIBE),
            "read_only": bool(read_only_reason(chat)),
        },
    }
    drawing, day = get_template("chat/_message.html"), get_template("chat/_day.html")
    zone = clinic_zone(chat.clinic_id)
    notes = message_notes(chat.chat_id, messages, user)
    # The templates' date filters show the active zone's time: the clinic's, whoever asks.
    with timezone.override(zone):
        for message in messages:
            item = message_item(
                message, user, is_parent=is_parent, amended_by=amended_by, zone=zone, notes=notes
            )
            message["html"] = drawing.render({**context, "m": item})
            message["dayHtml"] = day.render({"day": item["sent"]})


def read_receipt_html(reader_name: str | None) -> str:
    """The receipt of this user's messages the other side has read, as `chat/_message.html`
    draws it: the page puts it on those it showed as sent once the other side reads them."""
    return get_template("chat/_receipt.html").render({"m": {"isRead": True, "readBy": reader_name}})


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
    is_parent = is_parent_of(user, chat)
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
            zone=clinic_zone(chat.clinic_id),
            notes=message_notes(chat.chat_id, messages, user),
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
            "readOnly": read_only,
            "rev": chat.rev,
            "petName": chat.pet_name,
            "editWindowSeconds": int(settings.VETCHAT_EDIT_WINDOW.total_seconds()),
            # Polls resume after the newest message shown; while later ones are not loaded yet
            # (`hasLater`), the page loads them on request before it goes live.
            "lastSeq": rows[-1].seq if has_later else chat.last_seq,
            "oldestSeq": messages[0]["seq"] if messages else None,
            "hasMore": has_more,
            "hasLater": has_later,
            "focusId": str(focus) if focus else None,
            **other_side_read(chat, user),
            "isClinic": is_clinic(user.role),
            "unreadUrl": reverse("api:chat_unread"),
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
            # What a screen reader hears of a card without text, and a pending card shows.
            "typeLabels": {kind: Message.Type(kind).label for kind in PAYLOAD_FIELDS},
            # Video visits (static/js/chat/call.js): who rings, who is rung, and whether the
            # peers may only meet through TURN (set for the tests that prove the relay works).
            "mayCall": not read_only and may(user, chat, Action.CALL),
            "mayAnswer": not read_only and may(user, chat, Action.ANSWER_CALL),
            "callIcePolicy": settings.VETCHAT_CALL_ICE_POLICY,
        },
    }
