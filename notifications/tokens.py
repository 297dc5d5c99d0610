"""Signed links that act for one user without a session: the email's one-click unsubscribe."""

from uuid import UUID

from django.core import signing

_UNSUBSCRIBE = "notifications.unsubscribe"


def unsubscribe_token(user_id: UUID) -> str:
    return signing.dumps(str(user_id), salt=_UNSUBSCRIBE, compress=True)


def user_of_unsubscribe_token(token: str) -> UUID | None:
    """The user the token was made for, or None for anything not signed by this app."""
    try:
        return UUID(signing.loads(token, salt=_UNSUBSCRIBE))
    except (signing.BadSignature, ValueError, TypeError):
        return None
