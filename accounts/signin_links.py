"""One-click sign-in links: a notification email's way into one appointment's chat.

A link is `/signin/<token>`: 32 random bytes, naming neither the person nor the chat. Only its
SHA-256 is stored, so the table opens nothing. It works once, for `VETCHAT_SIGNIN_LINK_SECONDS`
from when the email was built, for the user and appointment it was made for, and only while that
user is active, still has the address it was sent to and may still use the chat
(`appointments.access`, asked when the link is followed, not when it was made).
"""

import hashlib
import re
import secrets
from datetime import datetime, timedelta
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import SigninLink, User
from appointments.access import Action, may, with_participants
from appointments.models import Appointment

# What `secrets.token_urlsafe(32)` makes: anything else is refused before any query.
TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")
# A user's links that nobody followed are deleted this long after they expired; followed
# ones stay as the record of a sign-in by link.
KEEP_UNUSED = timedelta(days=1)


class SigninLinkRefused(Exception):
    """The link opens nothing: malformed, unknown, expired, used, or its user may no longer
    sign in to that chat. One reason for all, so a link tells nothing about its account."""


def _hashed(token: str) -> str:
    # The token is 256 random bits: a plain hash cannot be reversed by guessing.
    return hashlib.sha256(token.encode()).hexdigest()


def signin_link_create(*, user: User, appointment_id: UUID, now: datetime | None = None) -> str:
    """Store a new link for `user` into `appointment_id`'s chat; returns its token (the only
    copy: it goes into the email)."""
    now = now or timezone.now()
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        SigninLink.objects.filter(
            user=user, used_at__isnull=True, expires_at__lt=now - KEEP_UNUSED
        ).delete()
        SigninLink.objects.create(
            token_hash=_hashed(token),
            user=user,
            appointment_id=appointment_id,
            email=user.email,
            created_at=now,
            expires_at=now + timedelta(seconds=settings.VETCHAT_SIGNIN_LINK_SECONDS),
        )
    return token


def signin_link_url(*, user: User, appointment_id: UUID, now: datetime | None = None) -> str:
    """The absolute address of a new link, for an email: the one function every notification
    email calls for its sign-in button."""
    token = signin_link_create(user=user, appointment_id=appointment_id, now=now)
    return settings.VETCHAT_BASE_URL + reverse("signin_link", args=[token])


def signin_link_check(*, token: str, now: datetime | None = None) -> SigninLink:
    """The link this token opens now, its user loaded; nothing is changed. Raises
    `SigninLinkRefused`."""
    now = now or timezone.now()
    if not TOKEN.fullmatch(token):
        raise SigninLinkRefused
    link = SigninLink.objects.select_related("user").filter(token_hash=_hashed(token)).first()
    if link is None or link.used_at is not None or link.expires_at <= now:
        raise SigninLinkRefused
    user = link.user
    if not user.is_active or user.email.lower() != link.email.lower():
        raise SigninLinkRefused
    appointment = with_participants(Appointment.objects.filter(pk=link.appointment_id)).first()
    if appointment is None or not may(user, appointment, Action.CHAT):
        raise SigninLinkRefused
    return link


def signin_link_use(*, token: str, now: datetime | None = None) -> SigninLink:
    """Spend the link: checked as `signin_link_check` does, then marked used. Of two requests
    racing with the same link, exactly one gets it; the other is refused."""
    now = now or timezone.now()
    link = signin_link_check(token=token, now=now)
    spent = SigninLink.objects.filter(pk=link.pk, used_at__isnull=True).update(used_at=now)
    if not spent:
        raise SigninLinkRefused
    link.used_at = now
    return link


def chat_path(link: SigninLink) -> str:
    """Where the link leads: its appointment's page, which holds the chat."""
    return reverse("appointment_detail", args=[link.appointment_id])
