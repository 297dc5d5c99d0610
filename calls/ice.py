"""The STUN and TURN servers a call's two browsers may use, with TURN credentials for one user
in one call (coturn's REST-style auth, `use-auth-secret`).

coturn checks a credential without asking us: the username is "<unix expiry>:<call>:<user>"
and the password is base64(HMAC-SHA1(shared secret, username)). It refuses the username once
its expiry has passed, so a credential copied out of a page is good for one call, and only until
then; no secret is ever sent to a browser.
"""

import hashlib
import hmac
from base64 import b64encode
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.conf import settings


def turn_username(*, expires_at: datetime, call_id: UUID, user_id: UUID) -> str:
    return f"{int(expires_at.timestamp())}:{call_id.hex}:{user_id.hex}"


def turn_password(username: str, secret: str) -> str:
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return b64encode(digest).decode()


def ice_servers(*, call_id: UUID, user_id: UUID, now: datetime) -> dict[str, Any]:
    """The `iceServers` for an RTCPeerConnection and when their TURN credential expires.

    Without a TURN secret only STUN is offered: calls then connect where a direct path exists.
    """
    servers: list[dict[str, Any]] = []
    if settings.VETCHAT_STUN_URLS:
        servers.append({"urls": list(settings.VETCHAT_STUN_URLS)})
    expires_at = now + timedelta(seconds=settings.VETCHAT_TURN_TTL_SECONDS)
    if settings.VETCHAT_TURN_SECRET and settings.VETCHAT_TURN_URLS:
        username = turn_username(expires_at=expires_at, call_id=call_id, user_id=user_id)
        servers.append(
            {
                "urls": list(settings.VETCHAT_TURN_URLS),
                "username": username,
                "credential": turn_password(username, settings.VETCHAT_TURN_SECRET),
            }
        )
    return {"iceServers": servers, "expiresAt": expires_at.isoformat()}
