"""The search page, and the appointment page opened at a message found."""

import json
import re
from http import HTTPStatus

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chat.models import Message
from chat.page import AROUND
from chat.search import MAX_QUERY_LENGTH
from chat.services import chat_get_or_create
from tests.factories import AppointmentFactory, send_message

pytestmark = pytest.mark.django_db

URL = "/search/"


def chat_data(response) -> dict:
    text = response.text
    start = text.index('<script id="chat-data" type="application/json">') + len(
        '<script id="chat-data" type="application/json">'
    )
    return json.loads(text[start : text.index("</script>", start)])


@pytest.mark.parametrize("who", ["parent", "vet"])
def test_both_roles_find_their_messages_and_get_a_link_to_each(
    request, client_for, parent, appointment, who
):
    message = send_message(parent, appointment, "Bella <b>keeps</b> sneezing")
    response = client_for(request.getfixturevalue(who)).get(URL, {"q": "sneeze"})
    assert response.status_code == HTTPStatus.OK
    html = response.text
    assert 'role="search"' in html and 'value="sneeze"' in html
    assert '<label for="search-q">' in html
    assert "&lt;b&gt;keeps&lt;/b&gt; <mark>sneezing</mark>" in html
    assert f'href="/appointments/{appointment.pk}/?message={message.id}#m-{message.id}"' in html
    assert appointment.pet.name in html and "Alex Morgan" in html
    assert '<a href="/search/" aria-current="page">Search</a>' in html


def test_the_navigation_links_to_search_for_parents_and_vets(client_for, parent, vet, staff):
    assert 'href="/search/"' in client_for(parent).get("/appointments/").text
    assert 'href="/search/"' in client_for(vet).get("/dashboard/").text


def test_without_a_query_the_page_offers_the_form_and_the_syntax(client_for, parent):
    response = client_for(parent).get(URL)
    assert response.status_code == HTTPStatus.OK
    assert "quoted phrase" in response.text and "-word" in response.text
    assert "No messages match" not in response.text


def test_nothing_found_says_so_naming_the_query(client_for, parent, appointment):
    send_message(parent, appointment, "hello")
    response = client_for(parent).get(URL, {"q": 'zebra "<i>x'})
    assert response.status_code == HTTPStatus.OK
    assert "No messages match “zebra &quot;&lt;i&gt;x”." in response.text


def test_a_refused_query_keeps_what_was_typed_and_says_why(client_for, parent):
    typed = "x" * (MAX_QUERY_LENGTH + 5)
    response = client_for(parent).get(URL, {"q": typed})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert f'value="{typed}"' in response.text
    assert 'aria-invalid="true"' in response.text and 'role="alert"' in response.text
    assert f"at most {MAX_QUERY_LENGTH} characters" in response.text


def test_older_results_are_a_link_away(client_for, parent, appointment):
    for n in range(25):
        send_message(parent, appointment, f"cough {n}")
    client = client_for(parent)
    first = client.get(URL, {"q": "cough"})
    assert first.text.count('class="search-hit card"') == 20
    start = first.text.index('href="?q=cough&amp;cursor=') + len('href="')
    link = first.text[start : first.text.index('"', start)].replace("&amp;", "&")
    second = client.get(URL + link)
    assert second.text.count('class="search-hit card"') == 5
    assert "No older messages match." in second.text


def test_staff_and_anonymous_cannot_use_the_page(client_for, staff):
    assert client_for(staff).get(URL, {"q": "x"}).status_code == HTTPStatus.FORBIDDEN
    response = client_for(None).get(URL, {"q": "x"})
    assert response.status_code == HTTPStatus.FOUND and "/accounts/login/" in response.url


def test_page_query_count_does_not_grow_with_the_results(client_for, parent):
    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(URL, {"q": "fever"}).status_code == HTTPStatus.OK
        return len(captured.captured_queries)

    client = client_for(parent)
    appointment = AppointmentFactory(pet__owner=parent)
    send_message(parent, appointment, "fever")
    few = count()
    for _ in range(5):
        other = AppointmentFactory(pet__owner=parent)
        for n in range(4):
            send_message(other.veterinarian, other, f"fever {n}")
    assert count() == few


def fill(appointment, parent, vet, count: int) -> list[Message]:
    chat = chat_get_or_create(appointment_id=appointment.pk)
    messages = Message.objects.bulk_create(
        Message(
            chat=chat,
            clinic_id=chat.clinic_id,
            seq=n,
            sender=vet if n % 2 else parent,
            content=f"note {n}",
        )
        for n in range(1, count + 1)
    )
    chat.last_seq = count
    chat.save()
    return messages


def test_appointment_page_opens_at_a_message_with_its_neighbours(
    client_for, parent, vet, appointment
):
    messages = fill(appointment, parent, vet, 200)
    target = messages[99]  # seq 100
    response = client_for(parent).get(f"/appointments/{appointment.pk}/", {"message": target.pk})
    assert response.status_code == HTTPStatus.OK
    data = chat_data(response)
    seqs = [int(s) for s in response.text.split('data-seq="')[1:] for s in [s.split('"')[0]]]
    assert seqs == list(range(100 - AROUND, 100 + AROUND + 1))
    assert data["focusId"] == str(target.pk)
    assert data["hasMore"] is True and data["hasLater"] is True
    assert data["lastSeq"] == 100 + AROUND and data["oldestSeq"] == 100 - AROUND
    assert response.text.count(' found"') == 1
    focused = re.search(rf'<li [^>]*id="m-{target.pk}"[^>]*>', response.text).group()
    assert 'data-seq="100"' in focused and 'tabindex="-1"' in focused
    assert "Search result" in response.text and "Load later messages" in response.text


def test_a_message_near_the_end_opens_the_chat_following_live(client_for, parent, vet, appointment):
    messages = fill(appointment, parent, vet, 60)
    response = client_for(vet).get(f"/appointments/{appointment.pk}/", {"message": messages[-3].pk})
    data = chat_data(response)
    assert data["hasLater"] is False and data["lastSeq"] == 60
    assert data["oldestSeq"] == 58 - AROUND


def test_a_message_of_another_chat_or_no_message_opens_the_latest(
    client_for, parent, vet, appointment
):
    fill(appointment, parent, vet, 80)
    other = AppointmentFactory(pet__owner=parent, veterinarian=vet)
    foreign = send_message(parent, other, "elsewhere")
    client = client_for(parent)
    for value in [foreign.id, "nonsense", ""]:
        response = client.get(f"/appointments/{appointment.pk}/", {"message": value})
        assert response.status_code == HTTPStatus.OK
        data = chat_data(response)
        assert data["focusId"] is None and data["hasLater"] is False
        assert data["oldestSeq"] == 31 and data["lastSeq"] == 80
        assert "elsewhere" not in response.text
