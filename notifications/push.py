"""Web Push: the payload a browser shows, sent to every subscription of the user.

pywebpush (with requests and its crypto) is imported by the send, not at start: the job worker
is the one that sends, and workers that serve only pages or sockets load this module too.
"""

import json
import logging
from urllib.parse import urlsplit

from django.conf import settings

from accounts.models import User
from notifications.models import PushSubscription

logger = logging.getLogger(__name__)

GONE = {404, 410}  # the push service forgot the subscription: the browser unsubscribed


def push_configured() -> bool:
    return bool(settings.VETCHAT_VAPID_PUBLIC_KEY and settings.VETCHAT_VAPID_PRIVATE_KEY)


def push_send(*, user: User, title: str, body: str, url: str) -> int:
    """Push to each of the user's browsers; returns how many took it.

    Best effort: the email is the notification of record, so a push that fails is logged and not
    retried, and a subscription the push service no longer knows (404, 410) is deleted.
    """
    if not push_configured():
        return 0
    import requests
    from pywebpush import WebPushException, webpush

    payload = json.dumps({"title": title, "body": body, "url": url})
    delivered = 0
    for subscription in PushSubscription.objects.filter(user=user):
        endpoint = urlsplit(subscription.endpoint)
        claims = {
            "sub": settings.VETCHAT_VAPID_SUBJECT,
            "aud": f"{endpoint.scheme}://{endpoint.netloc}",
        }
        try:
            webpush(
                subscription.info(),
                data=payload,
                vapid_private_key=settings.VETCHAT_VAPID_PRIVATE_KEY,
                vapid_claims=claims,
                ttl=24 * 60 * 60,
                timeout=10,
            )
            delivered += 1
        except WebPushException as error:
            status = error.response.status_code if error.response is not None else None
            if status in GONE:
                subscription.delete()
            else:
                logger.warning("Web push to %s failed: %s", endpoint.netloc, error)
        except (requests.RequestException, ValueError) as error:
            logger.warning("Web push to %s failed: %s", endpoint.netloc, error)
    return delivered
