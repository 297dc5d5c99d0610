"""No lost, doubled or reordered messages when many write while someone polls."""

import threading
from collections.abc import Callable
from http import HTTPStatus

import pytest
from django.db import connection
from django.test import Client

from chat.models import Chat, Message
from chat.services import chat_get_or_create
from tests.chat.conftest import URL, post
from tests.factories import AppointmentFactory

SENDERS = 4
MESSAGES_EACH = 25


def in_thread(work: Callable[[], None], errors: list) -> threading.Thread:
    def run() -> None:
        try:
            work()
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()  # each thread had its own connection

    return threading.Thread(target=run)


@pytest.mark.django_db(transaction=True)
def test_a_poller_following_four_senders_gets_every_message_once_in_order(parent, vet, settings):
    # Ordering under load, not the budgets: the poller polls as fast as it can.
    settings.VETCHAT_RATE_LIMITS = {}
    appointment = AppointmentFactory(pet__owner=parent, veterinarian=vet)
    appointment_id = str(appointment.pk)
    senders = [parent, vet] * (SENDERS // 2)
    done = threading.Event()
    received: list[dict] = []
    errors: list = []

    def sender_work(user, number: int) -> Callable[[], None]:
        def work() -> None:
            client = Client()
            client.force_login(user)
            for index in range(MESSAGES_EACH):
                response = post(
                    client,
                    {
                        "appointmentId": appointment_id,
                        "content": f"sender {number} message {index}",
                        "clientId": f"s{number}-{index}",
                    },
                )
                assert response.status_code == HTTPStatus.CREATED, response.content

        return work

    def poller_work() -> None:
        client = Client()
        client.force_login(parent)
        last_seq = 0
        while True:
            finished = done.is_set()  # read before polling, so the last poll sees everything
            response = client.get(
                URL, {"appointmentId": appointment_id, "after": last_seq, "markRead": "false"}
            )
            assert response.status_code == HTTPStatus.OK, response.content
            messages = response.json()["messages"]
            received.extend(messages)
            if messages:
                last_seq = messages[-1]["seq"]
            if finished and not messages:
                return

    threads = [in_thread(sender_work(user, n), errors) for n, user in enumerate(senders)]
    poller = in_thread(poller_work, errors)
    poller.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    done.set()
    poller.join(timeout=120)

    assert not errors, errors
    total = SENDERS * MESSAGES_EACH
    seqs = [message["seq"] for message in received]
    assert seqs == list(range(1, total + 1))  # each once, in order, none skipped
    assert len({message["_id"] for message in received}) == total
    assert {message["content"] for message in received} == {
        f"sender {n} message {i}" for n in range(SENDERS) for i in range(MESSAGES_EACH)
    }
    assert Chat.objects.get(appointment=appointment).last_seq == total
    assert Message.objects.filter(chat__appointment=appointment).count() == total


@pytest.mark.django_db(transaction=True)
def test_concurrent_first_access_creates_one_chat(parent, vet):
    appointment = AppointmentFactory(pet__owner=parent, veterinarian=vet)
    barrier = threading.Barrier(4)
    errors: list = []

    def work() -> None:
        barrier.wait()
        chat_get_or_create(appointment_id=appointment.pk)

    threads = [in_thread(work, errors) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert Chat.objects.filter(appointment=appointment).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_retry_racing_the_original_is_stored_once(parent, vet):
    appointment = AppointmentFactory(pet__owner=parent, veterinarian=vet)
    barrier = threading.Barrier(3)
    statuses: list[int] = []
    errors: list = []

    def work() -> None:
        client = Client()
        client.force_login(parent)
        barrier.wait()
        body = {"appointmentId": str(appointment.pk), "content": "x", "clientId": "one"}
        statuses.append(post(client, body).status_code)

    threads = [in_thread(work, errors) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert sorted(statuses) == [HTTPStatus.OK, HTTPStatus.OK, HTTPStatus.CREATED]
    assert Message.objects.filter(chat__appointment=appointment).count() == 1
