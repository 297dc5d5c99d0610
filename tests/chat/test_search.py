"""Search over one's own chats through the API: what matches, how it is shown, who finds what."""

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from chat.models import Message
from chat.search import MAX_QUERY_LENGTH
from chat.services import access_chat, chat_get_or_create, message_edit, message_retract
from tests.care_team import team_member
from tests.factories import AppointmentFactory, PetParentFactory, send_message

pytestmark = pytest.mark.django_db

URL = "/api/appointment-chat/search"


def search(client, q, **params):
    return client.get(URL, {"q": q, **params})


def found(client, q, **params) -> list[str]:
    response = search(client, q, **params)
    assert response.status_code == HTTPStatus.OK, response.content
    return [hit["snippet"] for hit in response.json()["results"]]


def plain(snippet: str) -> str:
    return snippet.replace("<mark>", "").replace("</mark>", "")


def test_parent_finds_a_message_by_a_word_of_it(client_for, parent, vet, appointment):
    # given a chat with a few messages
    send_message(parent, appointment, "Bella has been vomiting since last night")
    send_message(vet, appointment, "Please bring a stool sample")
    # when the parent searches for another form of one word
    response = search(client_for(parent), "vomited")
    # then the message is found, the word marked, with what a result shows
    assert response.status_code == HTTPStatus.OK
    body = response.json()
    assert body["nextCursor"] is None
    [hit] = body["results"]
    assert hit["snippet"] == "Bella has been <mark>vomiting</mark> since last night"
    assert hit["petName"] == appointment.pet.name
    assert hit["senderName"] == "Alex Morgan"
    assert hit["appointmentId"] == str(appointment.pk)
    assert hit["seq"] == 1
    assert hit["url"] == f"/appointments/{appointment.pk}/?message={hit['_id']}#m-{hit['_id']}"


def test_vet_finds_messages_across_their_appointments_newest_first(client_for, parent, vet):
    first = AppointmentFactory(pet__owner=parent, veterinarian=vet)
    second = AppointmentFactory(veterinarian=vet)
    send_message(parent, first, "The itching is worse")
    send_message(second.pet_parent, second, "Itching again, and scratching")
    assert [plain(s) for s in found(client_for(vet), "itching")] == [
        "Itching again, and scratching",
        "The itching is worse",
    ]


def test_websearch_syntax_phrase_exclusion_and_or(client_for, parent, appointment):
    send_message(parent, appointment, "the left ear is red")
    send_message(parent, appointment, "red patch near the ear, left side")
    send_message(parent, appointment, "swollen paw")
    client = client_for(parent)
    assert [plain(s) for s in found(client, '"left ear"')] == ["the left ear is red"]
    assert [plain(s) for s in found(client, "ear -patch")] == ["the left ear is red"]
    assert {plain(s) for s in found(client, "paw or patch")} == {
        "swollen paw",
        "red patch near the ear, left side",
    }
    # Nothing a person types is a syntax error.
    assert found(client, "ear & | ! ( :* ' \"") is not None


def test_snippet_escapes_the_message_and_marks_only_hits(client_for, parent, appointment):
    send_message(parent, appointment, '<img src=x onerror="alert(1)"> rash <mark>on</mark> belly')
    [snippet] = found(client_for(parent), "rash")
    assert "<img" not in snippet
    assert snippet.count("<mark>") == 1 and snippet.count("</mark>") == 1
    assert snippet == (
        "&lt;img src=x onerror=&quot;alert(1)&quot;&gt; <mark>rash</mark> "
        "&lt;mark&gt;on&lt;/mark&gt; belly"
    )


def test_a_short_message_is_its_own_snippet_with_every_match_marked(
    client_for, parent, appointment
):
    send_message(parent, appointment, "She ate a handful of grapes today, grapes again? <b>ok</b>")
    [snippet] = found(client_for(parent), "grape")
    assert snippet == (
        "She ate a handful of <mark>grapes</mark> today, <mark>grapes</mark> again? "
        "&lt;b&gt;ok&lt;/b&gt;"
    )


def test_entities_and_markers_in_a_message_stay_text(client_for, parent, appointment):
    send_message(parent, appointment, "rash &lt;b&gt; R&D \ue000x\ue001 it's <3")
    [snippet] = found(client_for(parent), "rash")
    assert snippet == "<mark>rash</mark> &amp;lt;b&amp;gt; R&amp;D x it&#x27;s &lt;3"


def test_snippet_of_a_long_message_is_the_text_around_the_hits(client_for, parent, appointment):
    filler = " ".join(f"word{n}" for n in range(300))
    send_message(parent, appointment, f"{filler} the lump is hard {filler}")
    [snippet] = found(client_for(parent), "lump")
    assert "<mark>lump</mark>" in snippet
    assert len(snippet.split()) <= 40


def test_other_peoples_chats_are_never_found(client_for, parent, vet, appointment):
    # given the same word in a chat of another parent with another vet
    other = AppointmentFactory()
    send_message(other.pet_parent, other, "secret limp")
    send_message(parent, appointment, "my own limp")
    # then neither this parent nor this vet finds it, and its own participants do
    assert [plain(s) for s in found(client_for(parent), "limp")] == ["my own limp"]
    assert [plain(s) for s in found(client_for(vet), "limp")] == ["my own limp"]
    assert [plain(s) for s in found(client_for(other.veterinarian), "limp")] == ["secret limp"]
    assert [plain(s) for s in found(client_for(PetParentFactory()), "limp")] == []


def test_another_parents_appointment_with_the_same_vet_is_not_found(client_for, parent, vet):
    mine = AppointmentFactory(pet__owner=parent, veterinarian=vet)
    theirs = AppointmentFactory(veterinarian=vet)
    send_message(vet, mine, "insulin dose for you")
    send_message(vet, theirs, "insulin dose for them")
    assert [plain(s) for s in found(client_for(parent), "insulin")] == ["insulin dose for you"]
    assert len(found(client_for(vet), "insulin")) == 2


def test_retracted_messages_are_not_found_and_edited_ones_by_their_new_text(
    client_for, parent, appointment
):
    chat = access_chat(user=parent, appointment_id=appointment.pk)
    removed = send_message(parent, appointment, "wrong pill name")
    corrected = send_message(parent, appointment, "she ate a grape")
    message_retract(chat=chat, user=parent, message_id=removed.id)
    message_edit(chat=chat, user=parent, message_id=corrected.id, content="she ate a raisin")
    client = client_for(parent)
    assert found(client, "pill") == []
    assert found(client, "grape") == []
    [hit] = search(client, "raisin").json()["results"]
    assert hit["editedAt"] is not None
    assert plain(hit["snippet"]) == "she ate a raisin"


def test_a_nurse_finds_the_chats_of_the_teams_they_are_on_and_no_others(
    client_for, parent, appointment
):
    nurse = team_member(appointment)
    elsewhere = AppointmentFactory(pet__owner=parent)
    send_message(parent, appointment, "The stitches look red")
    send_message(parent, elsewhere, "Her stitches came out")

    assert [plain(s) for s in found(client_for(nurse), "stitches")] == ["The stitches look red"]
    page = client_for(nurse).get("/search/", {"q": "stitches"})
    assert page.status_code == HTTPStatus.OK
    assert "The <mark>stitches</mark> look red" in page.text
    assert "came out" not in page.text


def test_staff_may_not_search_chats_here(client_for, staff, parent, appointment):
    send_message(parent, appointment, "limp")
    response = search(client_for(staff), "limp")
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json()["error"]["code"] == "forbidden"


def test_anonymous_gets_401(client_for):
    response = search(client_for(None), "limp")
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["error"]["code"] == "not_authenticated"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"q": ""}, "q"),
        ({"q": "   "}, "q"),
        ({}, "q"),
        ({"q": "x" * (MAX_QUERY_LENGTH + 1)}, "q"),
        ({"q": " " * MAX_QUERY_LENGTH + "x"}, "q"),
        ({"q": "a\x00b"}, "q"),
        ({"q": "limp", "limit": "0"}, "limit"),
        ({"q": "limp", "limit": "51"}, "limit"),
        ({"q": "limp", "limit": "two"}, "limit"),
        ({"q": "limp", "cursor": "not-a-cursor"}, "cursor"),
        ({"q": "limp", "cursor": "bm90aGluZw"}, "cursor"),
    ],
)
def test_bad_input_is_a_json_400_naming_the_field(client_for, parent, params, field):
    response = client_for(parent).get(URL, params)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    error = response.json()["error"]
    assert error["code"] == "invalid" and field in error["fields"]


def test_a_query_of_only_common_words_finds_nothing_rather_than_failing(client_for, parent):
    assert found(client_for(parent), "the and of") == []


def test_pages_walk_back_in_time_without_repeats(client_for, parent, appointment):
    chat = chat_get_or_create(appointment_id=appointment.pk)
    now = timezone.now()
    # Two messages share a moment: the cursor still tells them apart.
    Message.objects.bulk_create(
        Message(
            chat=chat,
            clinic_id=chat.clinic_id,
            seq=n,
            sender=parent,
            content=f"cough report {n}",
            created_at=now - timedelta(minutes=n // 2),
        )
        for n in range(1, 8)
    )
    client = client_for(parent)
    seen, cursor = [], None
    while True:
        body = search(client, "cough", limit=3, **({"cursor": cursor} if cursor else {})).json()
        seen += [hit["seq"] for hit in body["results"]]
        cursor = body["nextCursor"]
        if cursor is None:
            break
    assert sorted(seen) == list(range(1, 8)) and len(seen) == 7
    times = [m.created_at for m in Message.objects.filter(seq__in=seen)]
    assert len(set(times)) < len(times)


def queries_for(client, q) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = search(client, q)
    assert response.status_code == HTTPStatus.OK
    return len(captured.captured_queries)


def test_query_count_does_not_grow_with_the_results(
    client_for, parent, vet, django_assert_num_queries
):
    # given 2 matches in one chat, then 40 more across 8 appointments
    client = client_for(parent)
    first = AppointmentFactory(pet__owner=parent, veterinarian=vet)
    for n in range(2):
        send_message(parent, first, f"wheezing {n}")
    few = queries_for(client, "wheezing")
    for _ in range(8):
        appointment = AppointmentFactory(pet__owner=parent)
        for n in range(5):
            send_message(appointment.veterinarian, appointment, f"wheezing {n}")
    # then the user, and one query for the whole page of results
    with django_assert_num_queries(few):
        response = search(client, "wheezing")
    assert len(response.json()["results"]) == 20
    assert few == 2
