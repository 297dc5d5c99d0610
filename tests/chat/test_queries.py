"""The chat endpoints do a small, fixed number of queries, whatever the chat's length."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chat.models import Message
from chat.services import chat_get_or_create
from clinic.selectors import clinic_snapshot
from safety.selectors import reply_times
from tests.chat.conftest import URL, post
from tests.factories import first_clinic

pytestmark = pytest.mark.django_db


def fill(chat, parent, vet, count: int) -> None:
    Message.objects.bulk_create(
        Message(
            chat=chat,
            clinic_id=chat.clinic_id,
            seq=n,
            sender=vet if n % 2 else parent,
            content=f"m{n}",
        )
        for n in range(1, count + 1)
    )
    chat.last_seq = count
    chat.save()


def queries(call) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        call()
    return [query["sql"] for query in captured.captured_queries]


def counts_for(size: int, client_for, parent, vet) -> dict[str, int]:
    from tests.factories import AppointmentFactory

    appointment = AppointmentFactory(pet__owner=parent, veterinarian=vet)
    chat = chat_get_or_create(appointment_id=appointment.pk)
    fill(chat, parent, vet, size)
    client = client_for(parent)
    query = {"appointmentId": str(appointment.pk)}
    html = {**query, "render": "html"}  # the page's own polls
    page_url = f"/appointments/{appointment.pk}/"
    form_url = f"/appointments/{appointment.pk}/messages/"
    result = {
        "latest page (first read)": len(queries(lambda: client.get(URL, query))),
        "latest page (already read)": len(queries(lambda: client.get(URL, query))),
        "poll, nothing new": len(queries(lambda: client.get(URL, {**query, "after": size}))),
        "poll, nothing new (html)": len(queries(lambda: client.get(URL, {**html, "after": size}))),
        "history page": len(queries(lambda: client.get(URL, {**query, "before": size // 2}))),
        "history page (html)": len(queries(lambda: client.get(URL, {**html, "before": size // 2}))),
        "send": len(queries(lambda: post(client, {**query, "content": "x"}))),
        "appointment page": len(queries(lambda: client.get(page_url))),
        "plain form send": len(queries(lambda: client.post(form_url, {"content": "y"}))),
        "poll, one new from the vet": 0,
        "poll, one new from the vet (html)": 0,
    }
    Message.objects.create(
        chat=chat, clinic_id=chat.clinic_id, seq=size + 4, sender=vet, content="new"
    )
    chat.last_seq = size + 4
    chat.save()
    result["poll, one new from the vet"] = len(
        queries(lambda: client.get(URL, {**query, "after": size + 3}))
    )
    Message.objects.create(
        chat=chat, clinic_id=chat.clinic_id, seq=size + 5, sender=vet, content="newer"
    )
    chat.last_seq = size + 5
    chat.save()
    result["poll, one new from the vet (html)"] = len(
        queries(lambda: client.get(URL, {**html, "after": size + 4}))
    )
    return result


def test_query_counts_do_not_grow_with_the_chat(client_for, parent, vet):
    # The clinic's settings (and its reply times beside them) are read once per process, not
    # per send.
    clinic_snapshot(first_clinic().pk)
    reply_times(first_clinic().pk)
    small = counts_for(5, client_for, parent, vet)
    large = counts_for(500, client_for, parent, vet)
    assert small == large
    # Each: user (the session comes from the cache), then appointment + chat + both read
    # cursors in one query. Then reads
    # add the messages and, when something new was read, the cursor; a send adds BEGIN, the
    # chat row lock, the insert, the chat's last_seq and COMMIT, and the notifications'
    # subscriber the recipient with their preferences and whether their unread job waits; the
    # first message defers that job in a savepoint (SAVEPOINT, defer, RELEASE), the plain
    # form's, the second, finds it waiting. The page loads the appointment with its pet and
    # participants first, and the navigation's unread total; the clinic adds whether the chat
    # holds an unanswered red flag (its banner). The page's own polls, asking for each message's
    # HTML (`render=html`), cost one more when they carry messages: the reply-time notes under
    # them (`safety`, one query a batch). A parent's message also reads the chat's route and
    # stores its promise (`safety.services.promise_record`), and the page reads the stored
    # promises and the route for the composer's promise.
    assert large == {
        "latest page (first read)": 4,
        "latest page (already read)": 3,
        "poll, nothing new": 2,
        "poll, nothing new (html)": 2,
        "history page": 3,
        "history page (html)": 4,
        "send": 14,  # with the message's link in the chat's chain (chat/chain.py)
        "poll, one new from the vet": 4,
        "poll, one new from the vet (html)": 5,
        "appointment page": 9,
        "plain form send": 11,
    }


def test_messages_are_read_with_the_chat_seq_index(client_for, parent, vet):
    from tests.factories import AppointmentFactory

    appointment = AppointmentFactory(pet__owner=parent, veterinarian=vet)
    chat = chat_get_or_create(appointment_id=appointment.pk)
    fill(chat, parent, vet, 2000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE chat_message")
    sql = next(
        q
        for q in queries(
            lambda: client_for(parent).get(
                URL, {"appointmentId": str(appointment.pk), "after": 1990}
            )
        )
        if 'FROM "chat_message"' in q
    )
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "chat_message_seq_unique" in plan, plan
