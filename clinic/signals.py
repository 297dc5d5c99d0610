"""What the clinic app tells apps to its right: a chat marked urgent, once the mark commits."""

import logging

from django.dispatch import Signal

from clinic.models import UrgentChat

logger = logging.getLogger(__name__)

# Sent with `urgent` (the `UrgentChat` row, its message's seq and sign) after the send that
# raised the red flag commits; the on-call rota pages from it.
chat_marked_urgent = Signal()


def urgent_told(urgent: UrgentChat) -> None:
    """Tell the receivers; the message is stored already, so a receiver's failure is logged,
    never raised into the send that committed."""
    for receiver, result in chat_marked_urgent.send_robust(sender=UrgentChat, urgent=urgent):
        if isinstance(result, Exception):
            logger.error(
                "A receiver of chat_marked_urgent failed: %r",
                receiver,
                exc_info=(type(result), result, result.__traceback__),
            )
