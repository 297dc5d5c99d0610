"""How fast one person may send into and poll chats (settings.VETCHAT_RATE_LIMITS).

Checked at each door (API, the page's form) before the work is done; over a limit the door
answers 429 with Retry-After, and the sender's text is kept to send again.
"""

from django.http import HttpRequest

from accounts.models import User
from vetchat import ratelimit


def send_allowed(*, user: User) -> None:
    ratelimit.hit(
        scope="message_send",
        key=f"user:{user.pk}",
        message="You are sending messages very fast. Slow down, then send again.",
    )


def poll_allowed(*, request: HttpRequest) -> None:
    """Per session, so one person's tabs share a budget and two devices do not."""
    session_key = request.session.session_key or f"user:{request.user.pk}"
    ratelimit.hit(
        scope="poll",
        key=f"session:{session_key}",
        message="Too many refreshes. Wait a moment, then try again.",
    )
