"""The hand-written chat query answers exactly what the ORM would."""

import pytest
from django.utils import timezone

from accounts.models import CLINIC_ROLES, User, display_name
from appointments.models import Appointment, AppointmentMember, CoOwnership
from calls.models import Call
from chat.models import Chat, ReadState
from chat.services import access_chat, chat_get_or_create, chat_mark_read, chat_mark_unread
from chat.sql import ChatHeader, Reader, chat_header
from tests.factories import (
    AppointmentFactory,
    PetParentFactory,
    TechnicianFactory,
    VetFactory,
    send_message,
)

pytestmark = pytest.mark.django_db


def header_by_orm(appointment_id) -> ChatHeader:
    appointment = Appointment.objects.select_related("pet", "pet_parent", "veterinarian").get(
        pk=appointment_id
    )
    chat = Chat.objects.filter(appointment=appointment).first()
    states = ReadState.objects.filter(chat=chat).select_related("user")
    parent, vet = appointment.pet_parent, appointment.veterinarian
    members = AppointmentMember.objects.filter(appointment=appointment).order_by("user_id")
    co_owners = CoOwnership.objects.filter(
        pet=appointment.pet, user__isnull=False, revoked_at__isnull=True
    ).order_by("user_id")
    readers = {
        parent.pk: Reader(parent.display_name, False),
        vet.pk: Reader(vet.display_name, True),
    }
    read_seqs = {parent.pk: 0, vet.pk: 0}
    for state in states:
        read_seqs[state.user_id] = state.last_read_seq
        readers[state.user_id] = Reader(state.user.display_name, state.user.role in CLINIC_ROLES)
    return ChatHeader(
        appointment_id=appointment.pk,
        clinic_id=appointment.clinic_id,
        status=appointment.status,
        starts_at=appointment.starts_at,
        ends_at=appointment.ends_at,
        pet_name=appointment.pet.name,
        pet_parent_id=parent.pk,
        pet_parent_name=display_name(parent.name, parent.email),
        veterinarian_id=vet.pk,
        veterinarian_name=display_name(vet.name, vet.email),
        chat_id=chat.pk if chat else None,
        last_seq=chat.last_seq if chat else 0,
        rev=chat.rev if chat else 0,
        reopened_until=chat.reopened_until if chat else None,
        running_call_id=(
            Call.objects.filter(chat=chat, outcome=Call.Outcome.RUNNING)
            .values_list("pk", flat=True)
            .first()
        ),
        read_seqs=read_seqs,
        readers=readers,
        unread_from={
            state.user_id: state.unread_from_seq for state in states if state.unread_from_seq
        },
        team_vet_ids=tuple(m.user_id for m in members if m.user.role == User.Role.VETERINARIAN),
        technician_ids=tuple(m.user_id for m in members if m.user.role == User.Role.TECHNICIAN),
        co_owner_ids=tuple(c.user_id for c in co_owners),
    )


def test_an_appointment_without_a_chat_yet(appointment):
    assert chat_header(appointment.pk) == header_by_orm(appointment.pk)
    assert chat_header(appointment.pk).chat_id is None


def test_a_chat_with_messages_and_one_reader(appointment, parent, vet, send):
    send(vet, "one")
    send(parent, "two")
    send(vet, "three")
    chat_mark_read(
        chat=access_chat(user=parent, appointment_id=appointment.pk), user=parent, up_to_seq=3
    )
    header = chat_header(appointment.pk)
    assert header == header_by_orm(appointment.pk)
    assert (header.last_seq, header.read_seqs[parent.pk], header.read_seqs[vet.pk]) == (3, 3, 0)


def test_a_running_call_is_named_and_an_ended_one_is_not(appointment, vet):
    chat = chat_get_or_create(appointment_id=appointment.pk)
    ended = Call.objects.create(
        clinic_id=appointment.clinic_id,
        chat=chat,
        caller=vet,
        started_at=timezone.now(),
        ended_at=timezone.now(),
        outcome=Call.Outcome.MISSED,
    )
    assert chat_header(appointment.pk).running_call_id is None
    running = Call.objects.create(
        clinic_id=appointment.clinic_id, chat=chat, caller=vet, started_at=timezone.now()
    )
    header = chat_header(appointment.pk)
    assert header == header_by_orm(appointment.pk)
    assert header.running_call_id == running.pk != ended.pk


def test_a_participant_without_a_name_is_called_by_their_address(vet):
    nameless = PetParentFactory(name="", email="kim.lee@example.com")
    appointment = AppointmentFactory(pet__owner=nameless, veterinarian=vet, status="cancelled")
    chat_get_or_create(appointment_id=appointment.pk)
    assert chat_header(appointment.pk) == header_by_orm(appointment.pk)
    assert chat_header(appointment.pk).pet_parent_name == "kim.lee"


def test_an_unknown_appointment_is_none():
    assert chat_header("00000000-0000-4000-8000-000000000000") is None


def test_read_state_of_other_chats_does_not_leak_in(appointment, parent, vet):
    other = AppointmentFactory(pet__owner=parent, veterinarian=vet)
    for _ in range(3):
        send_message(vet, other, "elsewhere")
    chat_mark_read(chat=access_chat(user=parent, appointment_id=other.pk), user=parent, up_to_seq=3)
    chat_get_or_create(appointment_id=appointment.pk)
    assert chat_header(appointment.pk) == header_by_orm(appointment.pk)
    assert chat_header(appointment.pk).read_seqs == {parent.pk: 0, vet.pk: 0}


def test_a_care_team_co_owners_their_cursors_and_a_mark(appointment, parent, vet, send):
    # given a nurse and a second vet on the team, a co-owner and a revoked one
    nurse, locum = TechnicianFactory(job_title="Nurse"), VetFactory()
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
    first = send(parent, "one")
    send(vet, "two")
    chat = access_chat(user=nurse, appointment_id=appointment.pk)
    chat_mark_read(chat=chat, user=nurse, up_to_seq=2)
    chat_mark_unread(chat=chat, user=nurse, from_message_id=first.id)
    # when the header is loaded by hand
    header = chat_header(appointment.pk)
    # then it holds what the ORM finds, in one query
    assert header == header_by_orm(appointment.pk)
    assert header.technician_ids == (nurse.pk,)
    assert header.team_vet_ids == (locum.pk,)
    assert header.co_owner_ids == (co_owner.pk,)
    assert header.unread_from == {nurse.pk: 1}
    assert header.read_by(seq=1, sender_clinic=False) == nurse.display_name
    assert header.read_by(seq=2, sender_clinic=True) is None


def test_several_on_the_team_and_several_co_owners_come_in_id_order(appointment, parent):
    # given three of each, added in no particular order
    for factory in (TechnicianFactory, VetFactory) * 3:
        AppointmentMember.objects.create(appointment=appointment, user=factory())
    for co_owner in (PetParentFactory(), PetParentFactory(), PetParentFactory()):
        CoOwnership.objects.create(
            pet=appointment.pet, email=co_owner.email, invited_by=parent, user=co_owner
        )
    # when the header is loaded by hand
    header = chat_header(appointment.pk)
    # then each list is in the ORM's order by id, so the same chat always reads the same
    assert header == header_by_orm(appointment.pk)
    for ids in (header.team_vet_ids, header.technician_ids, header.co_owner_ids):
        assert len(ids) == 3
        assert list(ids) == sorted(ids)
