"""A pet parent told of an unread message as the notification job tells them, with a number
consented to texts, a browser subscribed to pushes, and the jobs it leaves counted."""

import json
from datetime import timedelta

from django.db import connection
from django.utils import timezone

from chat.models import Chat
from notifications.emails import deliver
from notifications.models import PushSubscription, UnreadEmail
from notifications.services import unread_email_claim
from sms.models import Phone, Text
from sms.outbound import text_send
from tests.factories import send_message
from tests.notifications.push_services import b64url, browser_keys

PARENT_NUMBER = "+12025550123"  # fictional: 555-0100 to 0199


def consented_phone(user, number: str = PARENT_NUMBER) -> Phone:
    return Phone.objects.create(
        user=user, number=number, opted_in_at=timezone.now() - timedelta(days=3)
    )


def subscribe_browser(user) -> PushSubscription:
    _, public, auth = browser_keys()
    return PushSubscription.objects.create(
        user=user,
        endpoint="https://fcm.googleapis.com/fcm/send/" + b64url(auth),
        p256dh=public,
        auth=b64url(auth),
    )


def notify(parent, vet, appointment, content: str = "Biscuit's kidney values are high.") -> int:
    """The vet writes; the parent's unread job runs (in this process): what it returns."""
    send_message(vet, appointment, content)
    chat_id = Chat.objects.get(appointment=appointment).pk
    claim = unread_email_claim(user_id=parent.pk, chat_id=chat_id)
    assert claim.email is not None, claim
    return deliver(parent, [claim.email])


def pending_emails(parent) -> list[UnreadEmail]:
    return list(UnreadEmail.objects.filter(user=parent, status=UnreadEmail.Status.PENDING))


def send_queued_texts() -> list[Text]:
    """What the text jobs do, in this process."""
    return [
        text_send(text_id=text.pk, now=timezone.now())
        for text in Text.objects.filter(status=Text.Status.QUEUED, provider_sid__isnull=True)
    ]


def jobs(task: str, status: str = "todo") -> list[dict]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT args, priority, scheduled_at FROM procrastinate_jobs"
            " WHERE task_name = %s AND status = %s ORDER BY id",
            [task, status],
        )
        return [
            {
                "args": json.loads(args) if isinstance(args, str) else args,
                "priority": priority,
                "scheduled_at": at,
            }
            for args, priority, at in cursor.fetchall()
        ]
