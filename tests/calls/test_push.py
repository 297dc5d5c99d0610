"""A ringing call reaches the family's browsers whose page is closed, as a web push."""

import json
from base64 import b64decode
from datetime import UTC, datetime

import http_ece
import pytest
from django.conf import settings
from procrastinate.contrib.django.models import ProcrastinateJob

from appointments.access import Action
from calls.services import call_start
from chat.services import access_chat
from notifications.models import PushSubscription
from tests.care_team import co_owner
from tests.notifications.push_services import b64url, browser_keys, vapid_settings

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 3, 14, 3, tzinfo=UTC)


@pytest.fixture
def push_settings(settings):
    for name, value in vapid_settings().items():
        setattr(settings, name, value)
    settings.VETCHAT_PUSH_HOSTS = ["push.example.org"]
    return settings


def subscribed(user):
    key, public, auth = browser_keys()
    PushSubscription.objects.create(
        user=user, endpoint=f"https://push.example.org/{user.pk}", p256dh=public, auth=b64url(auth)
    )
    return key, auth


def test_ringing_pushes_to_each_family_member_and_nobody_else(
    push_settings, appointment, vet, parent, django_capture_on_commit_callbacks
):
    helper = co_owner(appointment)
    keys = {user.pk: subscribed(user) for user in (parent, helper, vet)}
    chat = access_chat(user=vet, appointment_id=appointment.pk, action=Action.CALL)

    with django_capture_on_commit_callbacks(execute=True):
        call_start(chat=chat, caller=vet, channel="c", now=T0)

    jobs = ProcrastinateJob.objects.filter(task_name="notifications.tasks.send_push")
    assert sorted(job.args["user_id"] for job in jobs) == sorted([str(parent.pk), str(helper.pk)])
    job = next(job for job in jobs if job.args["user_id"] == str(parent.pk))
    key, auth = keys[parent.pk]
    shown = json.loads(
        http_ece.decrypt(
            b64decode(job.args["body"]), private_key=key, auth_secret=auth, version="aes128gcm"
        )
    )
    assert shown["body"] == f"Dr. Jane Foster is calling about {appointment.pet.name}"
    assert shown["url"].endswith(f"/appointments/{appointment.pk}/")
    # a browser that comes back after the ring is over is not rung
    assert job.args["ttl"] == settings.VETCHAT_CALL_RING_SECONDS
