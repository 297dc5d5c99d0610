"""Every change the clinic makes: marking a chat urgent, the after-hours reply, canned answers."""

import logging
from datetime import datetime
from uuid import UUID

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from chat.events import MessageCreated
from chat.push import push_chat_alert
from clinic.models import AfterHoursReply, CannedAnswer, RedFlagSign, UrgentChat
from clinic.redflags import Match
from clinic.selectors import after_hours_reply_text, hours_set, is_clinician, opening_now
from clinic.signals import urgent_told
from tenancy.models import Clinic
from vetchat.errors import InvalidInput, NotFound, NotPermitted

logger = logging.getLogger(__name__)


def urgent_mark(*, event: MessageCreated, matches: tuple[Match, ...]) -> UrgentChat:
    """Mark the chat urgent for this message, in the send's transaction; every open page of the
    chat hears of it once the send commits."""
    limit = UrgentChat._meta.get_field("sign").max_length
    signs = ", ".join(m.sign.name for m in matches)[:limit]
    urgent, _ = UrgentChat.objects.update_or_create(
        chat_id=event.chat_id,
        defaults={
            "clinic_id": event.clinic_id,
            "message_id": event.message.id,
            "seq": event.message.seq,
            "sign": signs,
            "flagged_at": event.message.created_at,
        },
    )
    alert = {"kind": "urgent", "sign": signs, "seq": event.message.seq}
    transaction.on_commit(lambda: push_chat_alert(appointment_id=event.appointment_id, alert=alert))
    transaction.on_commit(lambda: urgent_told(urgent))
    return urgent


def _post_clinic_entry(*, appointment_id: UUID, content: str) -> None:
    """Post an entry from the clinic itself into the chat (the chat's system-entry seam)."""
    from chat.services import system_entry_post

    system_entry_post(appointment_id=appointment_id, content=content)


def after_hours_reply_send(
    *, clinic_id: int, appointment_id: UUID, chat_id: int, at: datetime
) -> bool:
    """Answer a pet parent who wrote while the clinic is closed: once per chat and closed
    period. Returns whether this call sent it.

    The (chat, end of the closed period) row is unique: of two sends racing here, the second
    waits on the first's insert and then finds the period taken. The reply is posted in the same
    transaction, so a failed post leaves the period free for the next message.
    """
    state = opening_now(clinic_id, at)
    if state.open or not hours_set(clinic_id):
        return False
    try:
        with transaction.atomic():
            AfterHoursReply.objects.create(chat_id=chat_id, period_ends=state.next_open)
            _post_clinic_entry(
                appointment_id=appointment_id, content=after_hours_reply_text(clinic_id)
            )
    except IntegrityError:
        return False
    return True


def after_hours_reply_if_closed(event: MessageCreated) -> bool:
    """A new message while the clinic is closed: reply if a pet parent wrote it."""
    now = timezone.now()
    clinic_id = event.clinic_id
    if not hours_set(clinic_id) or opening_now(clinic_id, now).open:  # most sends: no query
        return False
    role = User.objects.filter(pk=event.message.sender_id).values_list("role", flat=True).first()
    if role != User.Role.PET_PARENT:
        return False
    return after_hours_reply_send(
        clinic_id=clinic_id, appointment_id=event.appointment_id, chat_id=event.chat_id, at=now
    )


def red_flag_signs_copy(*, clinic: Clinic) -> int:
    """Start a clinic's red-flag signs as a copy of the shared default list; returns how many."""
    shared = RedFlagSign.objects.filter(clinic__isnull=True).order_by("position", "pk")
    return len(
        RedFlagSign.objects.bulk_create(
            RedFlagSign(
                clinic=clinic,
                name=sign.name,
                phrases=sign.phrases,
                species=sign.species,
                enabled=sign.enabled,
                position=sign.position,
                safe_wait_minutes=sign.safe_wait_minutes,
            )
            for sign in shared
        )
    )


# Canned answers --------------------------------------------------------------------------

TITLE_MAX, BODY_MAX = 80, 4000


def _checked(title: str, body: str) -> tuple[str, str]:
    title, body = title.strip(), body.strip()
    fields = {}
    if not title:
        fields["title"] = "Give the answer a title."
    elif len(title) > TITLE_MAX:
        fields["title"] = f"Titles can be at most {TITLE_MAX} characters."
    if not body:
        fields["body"] = "Write the answer's text."
    elif len(body) > BODY_MAX:
        fields["body"] = f"Answers can be at most {BODY_MAX} characters."
    if fields:
        raise InvalidInput("Check the highlighted fields.", fields=fields)
    return title, body


def _own(user: User, answer_id: int) -> CannedAnswer:
    answer = CannedAnswer.objects.filter(pk=answer_id, owner=user).first()
    if answer is None:  # someone else's, shared or unknown: all the same to this user
        raise NotFound("No such canned answer.")
    return answer


def _clinician(user: User) -> None:
    if not is_clinician(user):
        raise NotPermitted("Only the clinic's vets keep canned answers.")


def canned_answer_create(*, user: User, title: str, body: str) -> CannedAnswer:
    _clinician(user)
    title, body = _checked(title, body)
    return CannedAnswer.objects.create(owner=user, title=title, body=body)


def canned_answer_update(*, user: User, answer_id: int, title: str, body: str) -> CannedAnswer:
    _clinician(user)
    answer = _own(user, answer_id)
    answer.title, answer.body = _checked(title, body)
    answer.save(update_fields=["title", "body", "updated_at"])
    return answer


def canned_answer_delete(*, user: User, answer_id: int) -> None:
    _clinician(user)
    _own(user, answer_id).delete()
