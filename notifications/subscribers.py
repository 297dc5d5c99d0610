"""What the notifications do when the chat tells them something happened."""

from chat.events import Event, MessageCreated
from chat.models import Message
from notifications.services import unread_notification_schedule


def on_chat_event(event: Event) -> None:
    # A read needs no handler: the job re-checks the cursor when it runs.
    # A clinic notice is nobody's message to answer or to be emailed about.
    if isinstance(event, MessageCreated) and event.message.message_type != Message.Type.SYSTEM:
        unread_notification_schedule(
            appointment_id=event.appointment_id,
            chat_id=event.chat_id,
            sender_id=event.message.sender_id,
        )
