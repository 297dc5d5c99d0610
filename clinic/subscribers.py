"""What the clinic does when the chat tells it something happened."""

from chat.events import Event, MessageCreated
from chat.models import Message
from clinic.selectors import red_flag_of
from clinic.services import after_hours_reply_if_closed, urgent_mark

# Entries the clinic posts itself are answers, never questions to answer.
_NOT_FROM_PEOPLE = frozenset({Message.Type.SYSTEM})


def on_chat_event_in_transaction(event: Event) -> None:
    if isinstance(event, MessageCreated) and event.message.message_type not in _NOT_FROM_PEOPLE:
        matches = red_flag_of(event)
        if matches:
            urgent_mark(event=event, matches=matches)


def on_chat_event_after_commit(event: Event) -> None:
    if isinstance(event, MessageCreated) and event.message.message_type not in _NOT_FROM_PEOPLE:
        after_hours_reply_if_closed(event)
