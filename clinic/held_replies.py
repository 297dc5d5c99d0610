"""Replies the clinic's team writes while the clinic is closed wait until it opens, when the
clinic asks for it: a parent reading at 23:00 is not drawn into a conversation the clinic
cannot continue, and answers come in opening hours. A chat marked urgent is never held."""

from datetime import datetime

from accounts.models import User
from chat.sql import ChatHeader
from clinic.models import ReplyHold, UrgentChat
from clinic.selectors import hours_set, opening_now


def holds_replies(clinic_id: int) -> bool:
    return ReplyHold.objects.filter(clinic_id=clinic_id, hold_while_closed=True).exists()


def held_while_closed(chat: ChatHeader, sender: User, now: datetime) -> datetime | None:
    """When a reply written now is sent: the clinic's next opening; None: at once."""
    if not hours_set(chat.clinic_id):
        return None
    state = opening_now(chat.clinic_id, now)
    if state.open or state.next_open is None:
        return None
    if not holds_replies(chat.clinic_id):
        return None
    # Once a parent wrote of a red-flag sign, every reply in that chat goes at once.
    if chat.chat_id is not None and UrgentChat.objects.filter(chat_id=chat.chat_id).exists():
        return None
    return state.next_open
