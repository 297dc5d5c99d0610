"""The recipient query of the send path gives the ORM's answer."""

import uuid

import pytest
from django.db import connection, transaction
from django.db.models import CharField, Exists, OuterRef, Value
from django.db.models.functions import Cast, Concat
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from procrastinate.contrib.django.models import ProcrastinateJob

from accounts.models import User
from appointments.models import Appointment, AppointmentMember, CoOwnership
from chat.services import chat_get_or_create
from notifications.models import Preference
from notifications.services import preference_of
from notifications.sql import recipients_of
from tests.factories import PetParentFactory, TechnicianFactory, VetFactory, send_message

pytestmark = pytest.mark.django_db


def orm_recipients(*, appointment_id, sender_id, chat_id) -> list[tuple]:
    appointment = Appointment.objects.get(pk=appointment_id)
    sender = User.objects.get(pk=sender_id)
    if sender.role == User.Role.PET_PARENT:
        ids = {appointment.veterinarian_id, *appointment.members.values_list("user_id", flat=True)}
    else:
        co_owners = CoOwnership.objects.filter(
            pet=appointment.pet, user__isnull=False, revoked_at__isnull=True
        )
        ids = {appointment.pet_parent_id, *co_owners.values_list("user_id", flat=True)}
    ids.discard(sender_id)
    lock = Concat(
        Value("unread:"), Cast(OuterRef("pk"), output_field=CharField()), Value(f":{chat_id}")
    )
    users = (
        User.objects.filter(pk__in=ids)
        .select_related("notification_preference")
        .annotate(
            job_waiting=Exists(ProcrastinateJob.objects.filter(status="todo", queueing_lock=lock))
        )
        .order_by("pk")
    )
    return [
        (user.pk, user.role, user.is_active, user.job_waiting, shape(preference_of(user)))
        for user in users
    ]


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


def sql_recipients(**ids) -> list[tuple]:
    return [
        (found.user_id, found.role, found.is_active, found.job_waiting, shape(found.preference))
        for found in recipients_of(**ids)
    ]


def test_the_recipient_query_answers_as_the_orm_does(appointment, parent, vet):
    chat = chat_get_or_create(appointment_id=appointment.pk)
    Preference.objects.create(user=vet, delay=Preference.Delay.IMMEDIATELY, digest_hours=4)
    cases = [
        {"appointment_id": appointment.pk, "sender_id": parent.pk, "chat_id": chat.pk},
        {"appointment_id": appointment.pk, "sender_id": vet.pk, "chat_id": chat.pk},
    ]
    for ids in cases:  # no job yet; the vet chose, the parent did not
        assert sql_recipients(**ids) == orm_recipients(**ids)
    send_message(vet, appointment, "a job for the parent now waits")
    for ids in cases:
        assert sql_recipients(**ids) == orm_recipients(**ids)
    assert recipients_of(**cases[1])[0].job_waiting is True
    assert recipients_of(**cases[0])[0].job_waiting is False  # the vet gets a digest, not this job


def test_the_recipients_are_the_other_side_of_the_team_and_the_family(appointment, parent, vet):
    # given a nurse and a second vet on the team, a co-owner and a revoked one
    chat = chat_get_or_create(appointment_id=appointment.pk)
    nurse, locum = TechnicianFactory(), VetFactory()
    for member in (nurse, locum):
        AppointmentMember.objects.create(appointment=appointment, user=member)
    co_owner, revoked = PetParentFactory(), PetParentFactory()
    CoOwnership.objects.create(
        pet=appointment.pet, email=co_owner.email, invited_by=parent, user=co_owner
    )
    CoOwnership.objects.create(
        pet=appointment.pet,
        email=revoked.email,
        invited_by=parent,
        user=revoked,
        revoked_at=timezone.now(),
    )
    for sender in (parent, co_owner, vet, nurse):
        ids = {"appointment_id": appointment.pk, "sender_id": sender.pk, "chat_id": chat.pk}
        # when someone writes, then the other side hears of it, as the ORM finds it
        assert sql_recipients(**ids) == orm_recipients(**ids)
    family = {r.user_id for r in recipients_of(**{**ids, "sender_id": nurse.pk})}
    assert family == {parent.pk, co_owner.pk}
    clinic = {r.user_id for r in recipients_of(**{**ids, "sender_id": co_owner.pk})}
    assert clinic == {vet.pk, nurse.pk, locum.pk}


def test_no_recipient_for_an_unknown_appointment(parent):
    assert recipients_of(appointment_id=uuid.uuid4(), sender_id=parent.pk, chat_id=1) == []


def test_the_query_is_prepared_once_and_outlives_a_rolled_back_send(appointment, parent, vet):
    chat = chat_get_or_create(appointment_id=appointment.pk)
    ids = {"appointment_id": appointment.pk, "sender_id": parent.pk, "chat_id": chat.pk}
    # given the statement prepared inside a transaction that rolls back
    with pytest.raises(RuntimeError), transaction.atomic():
        recipients_of(**ids)
        raise RuntimeError("rolled back")
    # when the connection asks again, then it is not prepared twice and still answers
    with CaptureQueriesContext(connection) as queries:
        found = sql_recipients(**ids)
    assert found == orm_recipients(**ids)
    assert len(queries) == 1
    assert queries[0]["sql"].startswith("EXECUTE ")


@pytest.mark.django_db(transaction=True)
def test_a_new_connection_prepares_the_query_again(appointment, parent, vet):
    chat = chat_get_or_create(appointment_id=appointment.pk)
    ids = {"appointment_id": appointment.pk, "sender_id": parent.pk, "chat_id": chat.pk}
    assert sql_recipients(**ids) == orm_recipients(**ids)
    connection.close()
    assert sql_recipients(**ids) == orm_recipients(**ids)
