"""Scheduled messages are sent by the real job worker, from the database: a worker that was
not running when a message fell due sends it when it starts."""

from datetime import timedelta

import pytest
from django.utils import timezone

from chat.models import Message, ScheduledMessage
from chat.scheduled import scheduled_create, scheduled_update
from chat.services import access_chat
from tests.notifications.conftest import wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_worker_started_after_the_time_sends_what_fell_due(worker, appointment, vet):
    # given: two messages written an hour ago for a minute ago, one of them since moved to
    # an hour from now; no worker was running meanwhile
    chat = access_chat(user=vet, appointment_id=appointment.pk)
    now = timezone.now()
    written = now - timedelta(hours=1)
    due = scheduled_create(
        chat=chat, writer=vet, content="Due now", send_at=now - timedelta(minutes=1), now=written
    )
    moved = scheduled_create(
        chat=chat, writer=vet, content="Moved", send_at=now - timedelta(minutes=1), now=written
    )
    scheduled_update(
        chat=chat, writer=vet, scheduled_id=moved.pk, send_at=now + timedelta(hours=1), now=written
    )
    # when
    worker(queues="notifications")
    # then
    wait_until(lambda: Message.objects.exists(), timeout=20, what="the scheduled message")
    [message] = Message.objects.all()
    assert (message.sender_id, message.content) == (vet.pk, "Due now")
    assert ScheduledMessage.objects.get(pk=due.pk).status == ScheduledMessage.Status.SENT
    assert ScheduledMessage.objects.get(pk=moved.pk).status == ScheduledMessage.Status.PENDING
