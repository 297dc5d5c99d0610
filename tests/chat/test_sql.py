"""The hand-written chat query answers exactly what the ORM would."""

import pytest

from accounts.models import display_name
from appointments.models import Appointment
from chat.models import Chat, ReadState
from chat.services import access_chat, chat_get_or_create, chat_mark_read
from chat.sql import ChatHeader, chat_header
from tests.factories import AppointmentFactory, PetParentFactory, send_message

pytestmark = pytest.mark.django_db


def header_by_orm(appointment_id) -> ChatHeader:
    appointment = Appointment.objects.select_related("pet", "pet_parent", "veterinarian").get(
        pk=appointment_id
    )
    chat = Chat.objects.filter(appointment=appointment).first()
    cursors = dict(ReadState.objects.filter(chat=chat).values_list("user_id", "last_read_seq"))
    parent, vet = appointment.pet_parent, appointment.veterinarian
    return ChatHeader(
        appointment_id=appointment.pk,
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
        read_seqs={parent.pk: cursors.get(parent.pk, 0), vet.pk: cursors.get(vet.pk, 0)},
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
