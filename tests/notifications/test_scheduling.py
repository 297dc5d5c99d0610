"""The job is deferred in the sender's transaction: one per recipient and chat, none for a
send that rolled back."""

import pytest
from django.db import transaction
from django.utils import timezone
from procrastinate.contrib.django.models import ProcrastinateJob

from notifications.models import Preference
from tests.factories import send_message

pytestmark = pytest.mark.django_db(transaction=True)


def unread_jobs():
    return ProcrastinateJob.objects.filter(task_name="notifications.tasks.notify_unread")


def test_a_send_defers_one_job_for_the_recipient(appointment, parent, vet, settings):
    settings.VETCHAT_NOTIFY_DELAY_SECONDS = 300
    settings.VETCHAT_PARENT_NOTIFY_DELAY_SECONDS = 300
    send_message(vet, appointment, "one")
    send_message(vet, appointment, "two")
    [job] = unread_jobs()
    assert job.args == {"user_id": str(parent.pk), "chat_id": job.args["chat_id"]}
    assert job.queueing_lock == f"unread:{parent.pk}:{job.args['chat_id']}"
    assert 295 <= (job.scheduled_at - timezone.now()).total_seconds() <= 300


def test_a_rolled_back_send_leaves_no_job(appointment, vet):
    class Undo(Exception):
        pass

    with pytest.raises(Undo), transaction.atomic():
        send_message(vet, appointment, "never stored")
        assert unread_jobs().count() == 1
        raise Undo
    assert unread_jobs().count() == 0


def test_each_recipient_and_chat_gets_its_own_job(appointment, parent, vet):
    send_message(vet, appointment, "to the parent")
    send_message(parent, appointment, "to the vet")
    assert sorted(job.args["user_id"] for job in unread_jobs()) == sorted(
        [str(parent.pk), str(vet.pk)]
    )


def test_never_defers_nothing(appointment, parent, vet):
    Preference.objects.create(user=parent, delay=Preference.Delay.NEVER)
    send_message(vet, appointment, "hello")
    assert unread_jobs().count() == 0
