"""What the notifications do when the chat tells them something happened."""

from chat.events import Event, MessageCreated
from notifications.services import unread_notification_schedule


def on_chat_event(event: Event) -> None:
    # A read needs no handler: the job re-checks the cursor when it runs.
    if isinstance(event, MessageCreated):
        unread_notification_schedule(
            appointment_id=event.appointment_id,
            chat_id=event.chat_id,
            sender_id=event.message.sender_id,
        )
