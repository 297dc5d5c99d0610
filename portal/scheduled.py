"""The chat page's messages that go later, without JavaScript: "Send later" beside the composer,
and the list of what waits to be sent with its "Edit", "Send now" and "Cancel" forms. The same
services as the API (`chat.scheduled`)."""

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.models import User
from appointments.access import Action, access_appointment, may
from appointments.models import Appointment
from chat.scheduled import (
    ScheduledRow,
    failed_scheduled_of,
    scheduled_cancel,
    scheduled_create,
    scheduled_of_chat,
    scheduled_send_now,
    scheduled_update,
)
from chat.services import access_chat
from chat.sql import ChatHeader
from tenancy.zones import clinic_time, clinic_zone
from vetchat.errors import DomainError, InvalidInput

# What `<input type="datetime-local">` sends.
LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


def when_text(moment: datetime, *, now: datetime, clinic_id: int) -> str:
    """ "Mon 08:00" within the coming week; with the date beyond it ("Mon 9 Mar 08:00")."""
    local = clinic_time(moment, clinic_id)
    days = (local.date() - clinic_time(now, clinic_id).date()).days
    if 0 <= days < 7:
        return f"{local:%a %H:%M}"
    return f"{local:%a} {local.day} {local:%b %Y %H:%M}"


@dataclass(frozen=True)
class ScheduledItem:
    row: ScheduledRow
    when: str
    local_value: str  # the time as the edit form's datetime-local field holds it
    content: str  # what the edit form holds: the message, or a refused edit as typed
    error: str = ""


def scheduled_panel(
    *, user: User, chat_id: int | None, clinic_id: int, now: datetime
) -> dict[str, Any]:
    """The composer's "Send later" and the list of what waits, for the clinic's side."""
    items = [
        ScheduledItem(
            row,
            when_text(row.send_at, now=now, clinic_id=clinic_id),
            f"{clinic_time(row.send_at, clinic_id):{LOCAL_FORMAT}}",
            row.content,
        )
        for row in scheduled_of_chat(chat_id=chat_id, user=user)
    ]
    return {
        "items": items,
        "zone": str(clinic_zone(clinic_id)),
        "min": f"{clinic_time(now, clinic_id):{LOCAL_FORMAT}}",
    }


def not_sent_of(user: User, now: datetime) -> list[dict[str, Any]]:
    """The user's scheduled messages that could not be sent, for their dashboard: the only
    place a writer who lost access to the chat still learns of it."""
    return [
        {"row": row, "pet_name": pet_name, "appointment_id": appointment_id}
        for row, pet_name, appointment_id in failed_scheduled_of(user=user, now=now)
    ]


def local_moment(value: str, clinic_id: int) -> datetime:
    """A datetime-local field's value, on the clinic's clock."""
    try:
        naive = datetime.strptime(value.strip(), LOCAL_FORMAT)  # noqa: DTZ007  # made aware below
    except ValueError:
        raise InvalidInput(
            "Choose the date and time to send it.",
            fields={"sendAt": "Choose the date and time to send it."},
        ) from None
    return timezone.make_aware(naive, clinic_zone(clinic_id))


def _detail(appointment_id: UUID, anchor: str = "scheduled") -> HttpResponse:
    return redirect(reverse("appointment_detail", args=[appointment_id]) + f"#{anchor}")


def _chat(request: HttpRequest, appointment_id: UUID) -> ChatHeader:
    return access_chat(user=request.user, appointment_id=appointment_id, action=Action.SCHEDULE)


def _refused(
    request: HttpRequest, appointment_id: UUID, error: DomainError, **kwargs: Any
) -> HttpResponse:
    from portal.views import render_detail

    appointment = access_appointment(user=request.user, appointment_id=appointment_id)
    return render_detail(request, appointment, error=error, **kwargs)


@login_required
@require_POST
def schedule_message(request: HttpRequest, appointment_id: UUID) -> HttpResponse:
    """The composer's "Send later": its text, at the chosen time on the clinic's clock."""
    from portal.views import form_draft

    chat = _chat(request, appointment_id)
    draft = {**form_draft(request.POST), "send_at": request.POST.get("send_at", "")}
    try:
        row = scheduled_create(
            chat=chat,
            writer=request.user,
            content=draft["content"],
            send_at=local_moment(draft["send_at"], chat.clinic_id),
            now=timezone.now(),
        )
    except DomainError as error:
        return _refused(request, appointment_id, error, draft=draft)
    when = when_text(row.send_at, now=timezone.now(), clinic_id=chat.clinic_id)
    messages.success(request, f"Scheduled for {when}.")
    return _detail(appointment_id)


@login_required
@require_POST
def scheduled_edit(request: HttpRequest, appointment_id: UUID, scheduled_id: UUID) -> HttpResponse:
    chat = _chat(request, appointment_id)
    try:
        scheduled_update(
            chat=chat,
            writer=request.user,
            scheduled_id=scheduled_id,
            now=timezone.now(),
            content=request.POST.get("content", ""),
            send_at=local_moment(request.POST.get("send_at", ""), chat.clinic_id),
        )
    except DomainError as error:
        return _refused(
            request,
            appointment_id,
            error,
            scheduled_error=(scheduled_id, error),
            scheduled_draft=request.POST,
        )
    messages.success(request, "Your scheduled message is saved.")
    return _detail(appointment_id)


@login_required
@require_POST
def scheduled_cancel_view(
    request: HttpRequest, appointment_id: UUID, scheduled_id: UUID
) -> HttpResponse:
    chat = _chat(request, appointment_id)
    try:
        scheduled_cancel(
            chat=chat, writer=request.user, scheduled_id=scheduled_id, now=timezone.now()
        )
    except DomainError as error:
        return _refused(request, appointment_id, error, scheduled_error=(scheduled_id, error))
    messages.success(request, "The scheduled message is cancelled.")
    return _detail(appointment_id)


@login_required
@require_POST
def scheduled_send_now_view(
    request: HttpRequest, appointment_id: UUID, scheduled_id: UUID
) -> HttpResponse:
    chat = _chat(request, appointment_id)
    try:
        scheduled_send_now(
            chat=chat, writer=request.user, scheduled_id=scheduled_id, now=timezone.now()
        )
    except DomainError as error:
        return _refused(request, appointment_id, error, scheduled_error=(scheduled_id, error))
    return _detail(appointment_id, "chat-end")


def scheduled_context(
    user: User,
    appointment: Appointment,
    chat: dict[str, Any],
    error: tuple[UUID, DomainError] | None = None,
    draft: QueryDict | None = None,
) -> dict[str, Any]:
    """What the appointment page adds for those who may schedule in its chat; a refused
    change shows its reason by its message, and a refused edit keeps what was typed."""
    if not may(user, appointment, Action.SCHEDULE):
        return {}
    panel = scheduled_panel(
        user=user, chat_id=chat["chat_id"], clinic_id=appointment.clinic_id, now=timezone.now()
    )
    if error is not None:
        scheduled_id, refusal = error
        panel["items"] = [
            replace(
                item,
                error=refusal.message,
                content=draft.get("content", item.content) if draft else item.content,
                local_value=draft.get("send_at", item.local_value) if draft else item.local_value,
            )
            if item.row.id == scheduled_id
            else item
            for item in panel["items"]
        ]
    return {"scheduled": panel}
