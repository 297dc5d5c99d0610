"""The vet's "Read, not answered": chats whose latest message is the clinic's, which the pet's
family has read but not answered, each saying who read it and when on the clinic's clock."""

from datetime import timedelta
from http import HTTPStatus
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from chat.models import ReadState
from notifications.selectors import read_not_answered
from tests.factories import AppointmentFactory, PetParentFactory, first_clinic, send_message

pytestmark = pytest.mark.django_db


def read_as(client, appointment) -> None:
    """The family member opens the chat: the messages GET moves their read cursor."""
    answer = client.get(f"/api/appointment-chat/messages?appointmentId={appointment.pk}")
    assert answer.status_code == HTTPStatus.OK


def test_a_read_but_unanswered_message_is_listed_with_who_read_it_and_when(
    client_for, appointment, parent, vet
):
    # given: the clinic is in Tokyo
    clinic = first_clinic()
    clinic.time_zone = "Asia/Tokyo"
    clinic.save()
    send_message(parent, appointment, "Is he allowed to eat?")
    send_message(vet, appointment, "Yes, a small meal tonight.")
    # when
    read_as(client_for(parent), appointment)
    # then
    [row] = read_not_answered(vet=vet, now=timezone.now()).rows
    assert (row.appointment_id, row.reader_name) == (appointment.pk, "Alex Morgan")
    read_at = ReadState.objects.get(user=parent).updated_at
    assert row.read_at == read_at
    tokyo = read_at.astimezone(ZoneInfo("Asia/Tokyo"))
    page = client_for(vet).get("/dashboard/").content.decode()
    assert "Read, not answered" in page
    assert "Read by Alex Morgan at <time datetime=" in page
    assert f">{tokyo:%H:%M}</time>, no answer yet" in page


def test_an_unread_message_is_not_listed(appointment, vet, parent):
    send_message(vet, appointment, "How is he?")
    assert read_not_answered(vet=vet, now=timezone.now()).rows == []


def test_the_chat_leaves_the_group_once_the_family_answers(client_for, appointment, vet, parent):
    send_message(vet, appointment, "How is he?")
    read_as(client_for(parent), appointment)
    assert len(read_not_answered(vet=vet, now=timezone.now()).rows) == 1
    send_message(parent, appointment, "Much better!")
    assert read_not_answered(vet=vet, now=timezone.now()).rows == []


def test_a_read_older_than_a_week_is_left_out(client_for, appointment, vet, parent):
    send_message(vet, appointment, "How is he?")
    read_as(client_for(parent), appointment)
    later = timezone.now() + timedelta(days=8)
    assert read_not_answered(vet=vet, now=later).rows == []


def test_the_vets_own_reading_does_not_count(client_for, appointment, vet):
    send_message(vet, appointment, "How is he?")
    read_as(client_for(vet), appointment)
    assert read_not_answered(vet=vet, now=timezone.now()).rows == []


def test_a_read_yesterday_names_the_day(client_for, appointment, vet, parent):
    send_message(vet, appointment, "How is he?")
    read_as(client_for(parent), appointment)
    [row] = read_not_answered(vet=vet, now=timezone.now() + timedelta(days=1)).rows
    assert row.read_at_text == f"{row.read_at.astimezone(ZoneInfo('UTC')):%a %H:%M}"


def read_chats(client_for, vet, count: int) -> None:
    for _ in range(count):
        appointment = AppointmentFactory(veterinarian=vet, pet__owner=PetParentFactory())
        send_message(vet, appointment, "How is she?")
        read_as(client_for(appointment.pet_parent), appointment)


def test_the_list_is_one_query_however_many_chats(client_for, vet):
    read_chats(client_for, vet, 6)
    with CaptureQueriesContext(connection) as captured:
        found = read_not_answered(vet=vet, now=timezone.now(), limit=4)
    assert len(captured) == 1
    assert (len(found.rows), found.total, found.more) == (4, 6, 2)


def test_the_dashboard_query_count_does_not_grow_with_read_chats(client_for, vet):
    client = client_for(vet)

    def queries() -> int:
        client.get("/dashboard/")
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/dashboard/").status_code == HTTPStatus.OK
        return len(captured)

    read_chats(client_for, vet, 2)
    few = queries()
    read_chats(client_for, vet, 6)
    assert queries() == few
