"""Web Push: which push services a subscription may name, and the payload a browser shows.

Sending is two steps. `push_send` runs in the email job: it encrypts the payload to each of the
user's browsers (RFC 8291) and defers one `send_push` job per browser on the `push` queue.
`push_deliver` runs in that job, on a worker of its own: a slow or dead push service then holds
back only other pushes, never an email. The jobs carry ciphertext alone, because procrastinate
keeps a job's arguments in its table and writes them into its log lines.

pywebpush (with its crypto) and requests are imported by the functions that use them, not at
start: workers that serve only pages or sockets load this module too.
"""

import json
import logging
import re
import time
from base64 import b64decode, b64encode
from urllib.parse import urlsplit
from uuid import UUID

from django.conf import settings

from accounts.models import User
from notifications.models import PushSubscription

logger = logging.getLogger(__name__)

GONE = {404, 410}  # the push service forgot the subscription: the browser unsubscribed
TTL_SECONDS = 24 * 60 * 60  # how long the push service keeps a push for a browser that is off
# Any path of visible ASCII (what push services hand out, percent-encoded) after the push
# service's origin, which alone decides where the worker connects.
_PATH = "/[!-~]*"


def _origin_pattern(entry: str) -> str:
    """One entry of VETCHAT_PUSH_HOSTS as a regular expression of the origins it allows."""
    literal = entry.strip().lower().rstrip("/").replace(".", r"\.")
    if "://" in entry:  # an exact origin, scheme and port included
        return literal
    if entry.startswith("."):  # every host under the domain
        return rf"https://(?:[a-z0-9-]+\.)+{literal[2:]}(?::443)?"
    return rf"https://{literal}(?::443)?"


def endpoint_pattern() -> str:
    """What a subscription's endpoint must match: a known push service's origin, then a path.

    The API's schema publishes it as the field's pattern and `endpoint_allowed` applies it, so
    the two say the same (a regular expression both Python and ECMAScript read alike).
    """
    origins = "|".join(_origin_pattern(entry) for entry in settings.VETCHAT_PUSH_HOSTS)
    return f"^(?:{origins or '(?!)'}){_PATH}$"  # no push service named: nothing matches


def endpoint_allowed(endpoint: str) -> bool:
    return re.fullmatch(endpoint_pattern(), endpoint) is not None


def push_configured() -> bool:
    return bool(settings.VETCHAT_VAPID_PUBLIC_KEY and settings.VETCHAT_VAPID_PRIVATE_KEY)


def push_send(*, user: User, title: str, body: str, url: str, ttl: int = TTL_SECONDS) -> int:
    """Queue a push to each of the user's browsers; returns how many were queued. A push service
    keeps it `ttl` seconds for a browser that is off (a call's ring, only while it rings).

    Best effort: the email is the notification of record. A subscription naming a push service
    no longer allowed is deleted rather than pushed to.
    """
    if not push_configured():
        return 0
    from pywebpush import WebPusher

    from notifications.tasks import send_push

    payload = json.dumps({"title": title, "body": body, "url": url}).encode()
    jobs = []
    for subscription in PushSubscription.objects.filter(user=user):
        if not endpoint_allowed(subscription.endpoint):
            subscription.delete()
            continue
        encrypted = WebPusher(subscription.info()).encode(payload, "aes128gcm")["body"]
        jobs.append(
            {
                "subscription_id": subscription.pk,
                "user_id": str(user.pk),
                "body": b64encode(encrypted).decode(),
                "ttl": ttl,
            }
        )
    if jobs:
        send_push.batch_defer(*jobs)
    return len(jobs)


def _vapid_headers(endpoint: str) -> dict[str, str]:
    from py_vapid import Vapid

    parts = urlsplit(endpoint)
    claims = {
        "sub": settings.VETCHAT_VAPID_SUBJECT,
        "aud": f"{parts.scheme}://{parts.netloc}",
        # RFC 8292 allows at most 24 hours; half of that leaves room for a skewed clock.
        "exp": int(time.time()) + 12 * 60 * 60,
    }
    return Vapid.from_string(private_key=settings.VETCHAT_VAPID_PRIVATE_KEY).sign(claims)


def push_deliver(*, subscription_id: int, user_id: UUID, body: str, ttl: int = TTL_SECONDS) -> bool:
    """POST one encrypted push to its browser's push service; returns whether it took it.

    Not retried: a push that fails is logged. A redirect is not followed (the answer is only
    logged), so a push service cannot send the worker elsewhere; a push service silent for
    VETCHAT_PUSH_TIMEOUT_SECONDS is given up on; one that no longer knows the subscription
    (404, 410) gets it deleted.
    """
    import requests

    # Gone since (unsubscribed, dropped for a newer one), or the browser signed in as someone
    # else: that user is not to see this one's notification.
    subscription = PushSubscription.objects.filter(pk=subscription_id, user_id=user_id).first()
    if subscription is None:
        return False
    if not endpoint_allowed(subscription.endpoint):
        subscription.delete()
        return False
    host = urlsplit(subscription.endpoint).netloc
    timeout = settings.VETCHAT_PUSH_TIMEOUT_SECONDS
    headers = {
        **_vapid_headers(subscription.endpoint),
        "Content-Encoding": "aes128gcm",
        "Content-Type": "application/octet-stream",
        "TTL": str(ttl),
    }
    try:
        response = requests.post(
            subscription.endpoint,
            data=b64decode(body),
            headers=headers,
            timeout=timeout,
            allow_redirects=False,
        )
    except requests.RequestException as error:
        logger.warning("Web push to %s failed: %s", host, type(error).__name__)
        return False
    if response.status_code in GONE:
        subscription.delete()
        return False
    if not 200 <= response.status_code < 300:
        logger.warning("Web push to %s answered %s", host, response.status_code)
        return False
    return True
