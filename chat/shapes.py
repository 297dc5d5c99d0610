"""The chat's JSON shapes, with the seed's field names, in one place for the API, the page and
pushed events."""

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.urls import reverse

from accounts.models import User, initials, role_label
from appointments.participants import is_clinic
from chat.search import SearchHit
from chat.selectors import MessagePage, MessageRow
from chat.sql import ChatHeader
from tenancy.zones import clinic_time


def iso_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def message_json(row: MessageRow, *, is_read: bool, read_by: str | None = None) -> dict[str, Any]:
    """A message as its participants see it: a retracted one keeps only that it was removed.

    `senderRole` says who wrote it beside their name ("Nurse", "Veterinarian", "Pet parent");
    `readBy` names someone on the other side who has read it.
    """
    retracted = row.retracted_at is not None
    message = {
        "_id": str(row.id),
        "seq": row.seq,
        "senderId": str(row.sender_id),
        "senderName": row.sender_name,
        "senderInitials": initials(row.sender_name),
        "senderImage": row.sender_image_url or None,
        # A clinic notice speaks for the clinic, not for a person with a role.
        "senderRole": ""
        if row.message_type == "system"
        else role_label(row.sender_role, row.sender_job_title),
        "content": "" if retracted else row.content,
        "messageType": row.message_type,
        "isRead": is_read,
        "readBy": read_by if is_read else None,
        "isDelivered": True,  # the server has stored it
        "createdAt": iso_utc(row.created_at),
        "updatedAt": iso_utc(row.updated_at),
        "editedAt": iso_utc(row.edited_at) if row.edited_at else None,
        "retractedAt": iso_utc(row.retracted_at) if retracted else None,
    }
    if retracted:
        return message
    if row.payload:
        message["payload"] = row.payload
    if row.attachments:
        message["attachments"] = row.attachments
    if row.amends_id:
        message["amends"] = {"_id": str(row.amends_id), "seq": row.amends_seq}
    if row.message_type == "prescription":
        message["acknowledgedAt"] = iso_utc(row.acknowledged_at) if row.acknowledged_at else None
        message["acknowledgedBy"] = row.acknowledged_by_name
    return message


def messages_json(rows: list[MessageRow], chat: ChatHeader) -> list[dict[str, Any]]:
    return [message_in_chat(row, chat) for row in rows]


def message_in_chat(row: MessageRow, chat: ChatHeader) -> dict[str, Any]:
    """A message with its receipt as the chat's read cursors have it."""
    reader = chat.read_by(seq=row.seq, sender_clinic=is_clinic(row.sender_role))
    return message_json(row, is_read=reader is not None, read_by=reader)


def appointment_json(chat: ChatHeader) -> dict[str, str]:
    """The appointment as the seed's chat API describes it, in the clinic's time zone."""
    local = clinic_time(chat.starts_at, chat.clinic_id)
    return {
        "id": str(chat.appointment_id),
        "petName": chat.pet_name,
        "petParentName": chat.pet_parent_name,
        "veterinarianName": chat.veterinarian_name,
        "appointmentDate": local.strftime("%Y-%m-%d"),
        "appointmentTime": local.strftime("%H:%M"),
    }


def chat_page_json(
    chat: ChatHeader, user: User, page: MessagePage, changed: list[MessageRow]
) -> dict[str, Any]:
    """The messages GET's answer: the seed's shape plus the cursors a client pages and polls by."""
    return {
        "messages": messages_json(page.rows, chat),
        "changed": messages_json(changed, chat),
        "appointment": appointment_json(chat),
        "lastSeq": chat.last_seq,
        "rev": chat.rev,
        "hasMore": page.has_more,
        **other_side_read(chat, user),
    }


def other_side_read(chat: ChatHeader, user: User) -> dict[str, Any]:
    """How far the other side has read this user's messages, and who read that far."""
    seq, name = chat.last_read_by_other_side(clinic=is_clinic(user.role))
    return {"otherLastReadSeq": seq, "otherReaderName": name or None}


def message_url(appointment_id: Any, message_id: Any) -> str:
    """The appointment page opened at a message, with the messages around it loaded."""
    page = reverse("appointment_detail", args=[appointment_id])
    return f"{page}?message={message_id}#m-{message_id}"


def search_hit_json(hit: SearchHit) -> dict[str, Any]:
    starts = hit.appointment_starts_at.astimezone(ZoneInfo(hit.clinic_time_zone))
    return {
        "_id": str(hit.message_id),
        "seq": hit.seq,
        "appointmentId": str(hit.appointment_id),
        "clinic": {"id": hit.clinic_id, "name": hit.clinic_name},
        "petName": hit.pet_name,
        "appointmentDate": starts.strftime("%Y-%m-%d"),
        "appointmentTime": starts.strftime("%H:%M"),
        "senderId": str(hit.sender_id),
        "senderName": hit.sender_name,
        "messageType": hit.message_type,
        "createdAt": iso_utc(hit.created_at),
        "editedAt": iso_utc(hit.edited_at) if hit.edited_at else None,
        "snippet": str(hit.snippet),
        "url": message_url(hit.appointment_id, hit.message_id),
    }
