"""The browsers a user asked to be notified in: keeping and forgetting their subscriptions."""

from django.db import transaction

from accounts.models import User
from notifications.models import Preference, PushSubscription
from notifications.push import endpoint_allowed
from vetchat.errors import InvalidInput

# A person has a few browsers; more than this is a script, and each one costs a request to a
# push service on every notification.
SUBSCRIPTIONS_PER_USER = 10


def push_subscription_save(*, user: User, endpoint: str, p256dh: str, auth: str) -> bool:
    """Keep a browser's subscription for the user; returns whether it is new.

    The endpoint must be on a known push service (VETCHAT_PUSH_HOSTS): the job worker connects
    to it, and must not be aimed at any other address. An endpoint belongs to one browser
    profile: signing in as someone else there moves it. The one saved is kept, and the user's
    oldest others are dropped past SUBSCRIPTIONS_PER_USER.
    """
    if not endpoint_allowed(endpoint):
        raise InvalidInput(
            "That is not the address of a push service this clinic sends to.",
            fields={"endpoint": "Not a known push service's https address."},
        )
    with transaction.atomic():
        # One save at a time per user, so two at once cannot both keep one too many.
        list(User.objects.select_for_update().filter(pk=user.pk).values_list("pk"))
        subscription, created = PushSubscription.objects.update_or_create(
            endpoint=endpoint, defaults={"user": user, "p256dh": p256dh, "auth": auth}
        )
        others = PushSubscription.objects.filter(user=user).exclude(pk=subscription.pk)
        newest = others.order_by("-created_at", "-pk")[: SUBSCRIPTIONS_PER_USER - 1]
        others.exclude(pk__in=list(newest.values_list("pk", flat=True))).delete()
        Preference.objects.update_or_create(user=user, defaults={"web_push_enabled": True})
    return created


def push_subscription_delete(*, user: User, endpoint: str) -> bool:
    """Forget one of the user's subscriptions; returns whether there was one."""
    deleted, _ = PushSubscription.objects.filter(user=user, endpoint=endpoint).delete()
    return deleted > 0
