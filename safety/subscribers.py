"""What safety does when the chat tells it something happened."""

from accounts.models import User
from chat.events import Event, MessageCreated
from chat.models import Message
from clinic.selectors import red_flag_of
from safety.services import promise_record


def on_chat_event_in_transaction(event: Event) -> None:
    """A family message gets its promise in the send's transaction; the clinic's red-flag mark
    and triage's route are written by then (their apps subscribe first)."""
    if not isinstance(event, MessageCreated):
        return
    message = event.message
    if message.message_type == Message.Type.SYSTEM or message.sender_role != User.Role.PET_PARENT:
        return
    promise_record(event=event, matches=red_flag_of(event))
