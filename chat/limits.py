"""How fast one person may use the chat's doors (settings.VETCHAT_RATE_LIMITS): sending,
polling, and the expensive ones (edits, search, the unread total, transcripts).

Checked at each door (API, the page's form) before the work is done; over a limit the door
answers 429 with Retry-After (the API in its JSON error, a page as a page), and a sender's
text is kept to send again.
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


def edit_allowed(*, user: User) -> None:
    """Corrections and retractions together: each writes a new version into the record."""
    ratelimit.hit(
        scope="message_edit",
        key=f"user:{user.pk}",
        message="You are changing messages very fast. Wait a moment, then try again.",
    )


def search_allowed(*, user: User) -> None:
    ratelimit.hit(
        scope="search",
        key=f"user:{user.pk}",
        message="Too many searches. Wait a moment, then search again.",
    )


def unread_total_allowed(*, user: User) -> None:
    ratelimit.hit(
        scope="unread_total",
        key=f"user:{user.pk}",
        message="Too many refreshes of the unread count. Wait a moment, then try again.",
    )


def transcript_allowed(*, user: User) -> None:
    """The PDF and the JSON share one budget: each reads the whole chat."""
    ratelimit.hit(
        scope="transcript",
        key=f"user:{user.pk}",
        message="Too many transcript downloads. Wait a moment, then download it again.",
    )
