"""`reply+<token>@<VETCHAT_REPLY_DOMAIN>`: one address per user and chat, signed and revocable.

The token is a random key and an HMAC of it under the secret key, in lowercase hex: mail
servers may change the case of an address, and a forged token is refused from the HMAC alone,
before the database is asked.
"""

import hmac
import secrets

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from accounts.models import User
from chat.models import Chat
from notifications.models import ReplyAddress

_SALT = "notifications.inbound.reply-address"
LOCAL_PREFIX = "reply+"
KEY_BYTES = 12
# 80 bits of HMAC: guessing one is out of reach, and the address stays short.
SIGNATURE_CHARS = 20


def _signature(key: str) -> str:
    return salted_hmac(_SALT, key, algorithm="sha256").hexdigest()[:SIGNATURE_CHARS]


def token_of(key: str) -> str:
    return key + _signature(key)


def key_of_token(token: str) -> str | None:
    """The key a token carries, if this deployment signed it; None for anything else."""
    token = token.lower()
    key, signature = token[: 2 * KEY_BYTES], token[2 * KEY_BYTES :]
    if len(key) != 2 * KEY_BYTES or len(signature) != SIGNATURE_CHARS:
        return None
    if not hmac.compare_digest(signature, _signature(key)):
        return None
    return key


def reply_domain() -> str:
    return settings.VETCHAT_REPLY_DOMAIN


def key_of_address(address: str) -> str | None:
    """The key of a `reply+<token>@<reply domain>` address signed here, or None."""
    domain = reply_domain()
    local, at, host = address.strip().strip("<>").rpartition("@")
    if not domain or not at or host.lower() != domain:
        return None
    if not local.lower().startswith(LOCAL_PREFIX):
        return None
    return key_of_token(local[len(LOCAL_PREFIX) :])


def reply_address_for(*, user: User, chat: Chat) -> str | None:
    """The address at which `user` answers in `chat` by email; None while replies by email are
    off (no VETCHAT_REPLY_DOMAIN). The same address each time until it is revoked."""
    domain = reply_domain()
    if not domain:
        return None
    live = ReplyAddress.objects.filter(user=user, chat=chat, revoked_at__isnull=True)
    row = live.first()
    if row is None:
        try:
            with transaction.atomic():
                row = ReplyAddress.objects.create(
                    key=secrets.token_hex(KEY_BYTES), user=user, chat=chat, clinic_id=chat.clinic_id
                )
        except IntegrityError:  # made at the same moment for another email
            row = live.get()
    return f"{LOCAL_PREFIX}{token_of(row.key)}@{domain}"


def reply_address_lookup(key: str) -> ReplyAddress | None:
    """The live address of a verified key, with its user and chat."""
    return (
        ReplyAddress.objects.select_related("user", "chat")
        .filter(key=key, revoked_at__isnull=True)
        .first()
    )


def reply_addresses_revoke(*, user: User, chat: Chat | None = None) -> int:
    """Stop the user's reply addresses (in one chat, or all): mail sent to them is no longer
    posted. Returns how many were live."""
    addresses = ReplyAddress.objects.filter(user=user, revoked_at__isnull=True)
    if chat is not None:
        addresses = addresses.filter(chat=chat)
    return addresses.update(revoked_at=timezone.now())


def reply_to_of_email(*, user: User, chat_ids: list[int]) -> list[str]:
    """The Reply-To of an email to `user` about these chats: their reply address when the email
    is about one chat; none for a digest of several, whose reply could belong to any of them."""
    if not reply_domain() or len(set(chat_ids)) != 1:
        return []
    address = reply_address_for(user=user, chat=Chat.objects.get(pk=chat_ids[0]))
    return [address] if address else []
