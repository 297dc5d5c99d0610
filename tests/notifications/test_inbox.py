"""The vet's "Needs reply" list and the unread count in the navigation."""

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from chat.models import Chat, Message
from chat.services import system_entry_post
from notifications.selectors import needs_reply, unread_total
from portal.views import WAITING_SHOWN
from tests.factories import AppointmentFactory, PetParentFactory, send_message

pytestmark = pytest.mark.django_db


def chat_with(appointment, *senders_and_minutes_ago) -> Chat:
    """A chat holding one message per (sender, minutes ago), in that order."""
    chat, _ = Chat.objects.get_or_create(
        appointment=appointment, defaults={"clinic_id": appointment.clinic_id}
    )
    now = timezone.now()
    for seq, (sender, minutes) in enumerate(senders_and_minutes_ago, start=chat.last_seq + 1):
        Message.objects.create(
            chat=chat,
            clinic_id=chat.clinic_id,
            seq=seq,
            sender=sender,
            content=f"m{seq}",
            created_at=now - timedelta(minutes=minutes),
        )
        chat.last_seq = seq
    chat.save()
    return chat


def test_chats_waiting_for_the_vet_come_oldest_first(vet, other_vet):
    recent, old, answered, other_vets = (
        AppointmentFactory(veterinarian=vet),
        AppointmentFactory(veterinarian=vet),
        AppointmentFactory(veterinarian=vet),
        AppointmentFactory(veterinarian=other_vet),
    )
    chat_with(recent, (recent.pet_parent, 5))
    # The vet answered 30 minutes ago; the parent wrote twice since: waiting since 20 minutes.
    chat_with(old, (old.pet_parent, 90), (vet, 30), (old.pet_parent, 20), (old.pet_parent, 10))
    chat_with(answered, (answered.pet_parent, 60), (vet, 1))
    chat_with(other_vets, (other_vets.pet_parent, 100))
    AppointmentFactory(veterinarian=vet)  # no chat yet

    waiting = needs_reply(vet=vet).waiting

    assert [w.appointment_id for w in waiting] == [old.pk, recent.pk]
    assert waiting[0].unanswered == 2
    assert timedelta(minutes=19) < timezone.now() - waiting[0].waiting_since < timedelta(minutes=21)
    assert waiting[0].pet_name == old.pet.name
    assert waiting[0].pet_parent_name == old.pet_parent.display_name


def test_a_chat_leaves_the_list_once_the_vet_answers(vet, appointment, parent):
    send_message(parent, appointment, "Is this normal?")
    assert [w.appointment_id for w in needs_reply(vet=vet).waiting] == [appointment.pk]
    send_message(vet, appointment, "Yes, nothing to worry about.")
    assert needs_reply(vet=vet).waiting == []


def test_the_dashboard_shows_needs_reply_first_and_an_empty_state(client_for, vet, appointment):
    client = client_for(vet)
    page = client.get("/dashboard/").content.decode()
    assert "Nobody is waiting for an answer." in page

    send_message(appointment.pet_parent, appointment, "Hello?")
    page = client.get("/dashboard/").content.decode()
    assert page.index("Needs reply") < page.index("Today")
    assert f'data-waiting-for="{appointment.pk}"' in page
    assert "Nobody is waiting" not in page


def dashboard_queries(client) -> int:
    # A first request takes any periodic session write, so the count is the page's own.
    client.get("/dashboard/")
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/dashboard/").status_code == HTTPStatus.OK
    return len(captured)


def test_the_dashboard_query_count_does_not_grow_with_the_chats(client_for, vet):
    def add_waiting_chats(count: int) -> None:
        for _ in range(count):
            appointment = AppointmentFactory(veterinarian=vet, pet__owner=PetParentFactory())
            chat_with(
                appointment, (appointment.pet_parent, 10), (vet, 5), (appointment.pet_parent, 1)
            )

    client = client_for(vet)
    add_waiting_chats(3)
    few = dashboard_queries(client)
    add_waiting_chats(30)
    many = dashboard_queries(client)
    assert len(needs_reply(vet=vet).waiting) == 33
    assert few == many
    # the user (the session comes from the cache), two for the appointments, their unread
    # counts, needs reply, read and not answered, overdue prescriptions, scheduled messages
    # not sent, and the navigation's unread total
    assert many == 9


def test_needs_reply_is_one_query(vet):
    for _ in range(5):
        appointment = AppointmentFactory(veterinarian=vet)
        chat_with(appointment, (appointment.pet_parent, 3))
    assert vet.clinic_ids  # loaded with the user on every request
    with CaptureQueriesContext(connection) as captured:
        inbox = needs_reply(vet=vet, limit=2)
    assert len(captured) == 1
    assert (len(inbox.waiting), inbox.total, inbox.more) == (2, 5, 3)


def test_the_dashboard_lists_the_most_pressing_and_links_to_all(client_for, vet):
    for n in range(WAITING_SHOWN + 2):
        appointment = AppointmentFactory(veterinarian=vet, pet__name=f"Pet {n:02}")
        chat_with(appointment, (appointment.pet_parent, 100 - n))  # Pet 00 has waited longest
    client = client_for(vet)

    page = client.get("/dashboard/").text
    assert page.count("data-waiting-for=") == WAITING_SHOWN
    assert f"The {WAITING_SHOWN} most pressing of {WAITING_SHOWN + 2} waiting." in page
    assert 'href="?waiting=all#needs-reply-heading"' in page
    # the oldest waiting are the ones shown
    listed = page.split('id="needs-reply-heading"')[1].split("</section>")[0]
    assert "Pet 00" in listed and f"Pet {WAITING_SHOWN + 1:02}" not in listed

    everyone = client.get("/dashboard/", {"waiting": "all"}).text
    assert everyone.count("data-waiting-for=") == WAITING_SHOWN + 2
    assert "most pressing" not in everyone


def test_the_navigation_counts_every_unread_message(client_for, parent, vet, appointment):
    second = AppointmentFactory(pet__owner=parent, veterinarian=vet)
    send_message(vet, appointment, "one")
    send_message(vet, appointment, "two")
    send_message(vet, second, "three")
    send_message(parent, second, "mine are not counted")

    assert unread_total(user=parent) == 3
    assert unread_total(user=vet) == 1
    page = client_for(parent).get("/appointments/").content.decode()
    assert '<span class="unread-count">3</span>' in page.split("</nav>")[0]
    page = client_for(vet).get("/dashboard/").content.decode()
    assert '<span class="unread-count">1</span>' in page.split("</nav>")[0]


def test_a_clinic_notice_after_the_parent_keeps_the_chat_waiting(vet, appointment, parent):
    send_message(parent, appointment, "Is this normal?")
    system_entry_post(appointment_id=appointment.pk, content="The clinic is closed.")
    (waiting,) = needs_reply(vet=vet).waiting
    assert waiting.appointment_id == appointment.pk
    assert waiting.unanswered == 1  # the parent's message, not the notice
