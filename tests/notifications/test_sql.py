"""The recipient query of the send path gives the ORM's answer."""

import uuid

import pytest
from django.db.models import Case, CharField, Exists, F, OuterRef, Subquery, Value, When
from django.db.models.functions import Cast, Concat
from procrastinate.contrib.django.models import ProcrastinateJob

from accounts.models import User
from appointments.models import Appointment
from chat.services import chat_get_or_create
from notifications.models import Preference
from notifications.services import preference_of
from notifications.sql import recipient_of
from tests.factories import send_message

pytestmark = pytest.mark.django_db


def orm_recipient(*, appointment_id, sender_id, chat_id) -> tuple:
    other = (
        Appointment.objects.filter(pk=appointment_id)
        .annotate(
            other=Case(
                When(pet_parent_id=sender_id, then=F("veterinarian_id")),
                default=F("pet_parent_id"),
            )
        )
        .values("other")[:1]
    )
    lock = Concat(
        Value("unread:"), Cast(OuterRef("pk"), output_field=CharField()), Value(f":{chat_id}")
    )
    user = (
        User.objects.filter(pk=Subquery(other))
        .select_related("notification_preference")
        .annotate(
            job_waiting=Exists(ProcrastinateJob.objects.filter(status="todo", queueing_lock=lock))
        )
        .get()
    )
    return user.pk, user.role, user.is_active, user.job_waiting, shape(preference_of(user))


def shape(preference: Preference) -> tuple:
    return (
        preference.user_id,
        preference.email_enabled,
        preference.delay,
        preference.quiet_from,
        preference.quiet_until,
        preference.web_push_enabled,
        preference.digest_hours,
    )


def sql_recipient(**ids) -> tuple:
    found = recipient_of(**ids)
    return found.user_id, found.role, found.is_active, found.job_waiting, shape(found.preference)


def test_the_recipient_query_answers_as_the_orm_does(appointment, parent, vet):
    chat = chat_get_or_create(appointment_id=appointment.pk)
    Preference.objects.create(user=vet, delay=Preference.Delay.IMMEDIATELY, digest_hours=4)
    cases = [
        {"appointment_id": appointment.pk, "sender_id": parent.pk, "chat_id": chat.pk},
        {"appointment_id": appointment.pk, "sender_id": vet.pk, "chat_id": chat.pk},
    ]
    for ids in cases:  # no job yet; the vet chose, the parent did not
        assert sql_recipient(**ids) == orm_recipient(**ids)
    send_message(vet, appointment, "a job for the parent now waits")
    for ids in cases:
        assert sql_recipient(**ids) == orm_recipient(**ids)
    assert recipient_of(**cases[1]).job_waiting is True
    assert recipient_of(**cases[0]).job_waiting is False  # the vet gets a digest, not this job


def test_no_recipient_for_an_unknown_appointment(parent):
    assert recipient_of(appointment_id=uuid.uuid4(), sender_id=parent.pk, chat_id=1) is None
