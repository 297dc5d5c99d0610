"""The live chat socket through the whole ASGI stack (origin check, cookie, session, user,
access), in-process with Channels' communicator, on the suite's real PostgreSQL and Redis."""

import asyncio
import contextlib
import threading
from http import HTTPStatus

import pytest
import pytest_asyncio
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, connections, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from appointments.models import AppointmentMember, CoOwnership
from appointments.services import co_owner_revoke, team_member_remove
from chat import consumers
from chat.consumers import (
    CLOSE_BAD_REQUEST,
    CLOSE_NOT_FOUND,
    CLOSE_NOT_PERMITTED,
    CLOSE_TOO_MANY,
    CLOSE_UNAUTHENTICATED,
    FRAME_BUDGET,
)
from chat.models import Chat
from chat.push import close_sockets_of_session
from chat.services import access_chat, message_send
from tests.care_team import TEAM_ROLES, co_owner, handed_over, make_role, team_member
from tests.factories import AppointmentFactory
from tests.signin import signed_in_client
from tests.test_admin import appointment_form

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

ORIGIN = "http://testserver"


OPENED: list[WebsocketCommunicator] = []


@pytest_asyncio.fixture(autouse=True)
async def close_socket_connections():
    """Every socket a test opened is ended, so no consumer task outlives the test's event loop,
    and the consumers' database connection (one worker thread) does not outlive the database."""
    yield
    while OPENED:
        communicator = OPENED.pop()
        if communicator.future.done():  # refused, or already ended by the test
            continue
        # closed by the server, or never connected: nothing left to end
        with contextlib.suppress(Exception):
            await communicator.disconnect()
    await sync_to_async(connections.close_all)()


def tracked(communicator: WebsocketCommunicator) -> WebsocketCommunicator:
    OPENED.append(communicator)
    return communicator


@pytest.fixture
def people(parent, vet, other_parent, other_vet, staff):
    return {
        "parent": parent,
        "vet": vet,
        "other_parent": other_parent,
        "other_vet": other_vet,
        "staff": staff,
    }


def application():
    from vetchat.asgi import application

    return application


def session_cookie(user, *, mfa_checked: bool = True) -> str:
    if mfa_checked:
        client = signed_in_client(user)
    else:  # signed in with a password only, the second factor still to come
        client = Client()
        client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def socket(appointment_id, *, cookie: str | None = None, origin: str = ORIGIN, query: str = ""):
    headers = [(b"origin", origin.encode()), (b"host", b"testserver")]
    if cookie:
        headers.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode()))
    path = f"/ws/appointment-chat/{appointment_id}/" + (f"?{query}" if query else "")
    return tracked(WebsocketCommunicator(application(), path, headers))


async def opened(appointment_id, user):
    cookie = await database_sync_to_async(session_cookie)(user)
    communicator = socket(appointment_id, cookie=cookie)
    connected, _ = await communicator.connect()
    assert connected
    hello = await communicator.receive_json_from()
    assert hello["type"] == "hello"
    return communicator


async def closed_with(communicator) -> int | None:
    connected, _ = await communicator.connect()
    assert connected  # accepted, so that the browser sees the close code
    output = await communicator.receive_output(timeout=2)
    await communicator.wait()
    assert output["type"] == "websocket.close", output
    return output.get("code")


@pytest.mark.parametrize("who", ["parent", "vet"])
async def test_each_participant_is_welcomed(who, appointment, people):
    communicator = await opened(appointment.pk, people[who])
    await communicator.disconnect()


async def test_hello_carries_the_chat_last_seq(appointment, parent):
    def send_two() -> None:
        chat = access_chat(user=parent, appointment_id=appointment.pk)
        message_send(chat=chat, sender=parent, content="one")
        message_send(chat=chat, sender=parent, content="two")

    await database_sync_to_async(send_two)()
    cookie = await database_sync_to_async(session_cookie)(parent)
    communicator = socket(appointment.pk, cookie=cookie)
    await communicator.connect()
    assert await communicator.receive_json_from() == {
        "type": "hello",
        "lastSeq": 2,
        "rev": 2,
        "otherLastReadSeq": 0,
    }
    await communicator.disconnect()


async def hello_after(user, appointment, after: str) -> tuple[dict, list[str]]:
    """The hello of a socket opened with `?after=`, and the queries its opening made (on the
    consumers' one database thread, where they are captured)."""
    cookie = await database_sync_to_async(session_cookie)(user)
    capture = CaptureQueriesContext(connection)
    await database_sync_to_async(capture.__enter__)()
    communicator = socket(appointment.pk, cookie=cookie, query=f"after={after}")
    connected, _ = await communicator.connect()
    assert connected
    hello = await communicator.receive_json_from()

    def captured() -> list[str]:
        capture.__exit__(None, None, None)
        return [query["sql"] for query in capture.captured_queries]

    queries = await database_sync_to_async(captured)()
    await communicator.disconnect()
    return hello, queries


async def test_a_reconnect_gets_what_it_missed_in_the_hello_as_the_api_shows_it(
    appointment, parent, vet
):
    # given a parent whose page holds the first message, and two more sent since
    for content in ("one", "two", "three"):
        await database_sync_to_async(post_message)(vet, appointment, content)

    # when the parent's socket comes back after seq 1
    hello, queries = await hello_after(parent, appointment, "1")

    # then the hello carries the two it missed, as the GET would have answered them
    def missed_by_get() -> list[dict]:
        response = signed_in_client(parent).get(
            URL, {"appointmentId": str(appointment.pk), "after": 1, "markRead": "false"}
        )
        return response.json()["messages"]

    assert hello["messages"] == await database_sync_to_async(missed_by_get)()
    assert [m["content"] for m in hello["messages"]] == ["two", "three"]
    assert (hello["lastSeq"], hello["hasMore"]) == (3, False)
    assert len(queries) == 3, queries  # the user, the chat, its messages after seq 1


async def test_a_reconnect_that_missed_nothing_costs_two_queries(appointment, parent, vet):
    await database_sync_to_async(post_message)(vet, appointment, "one")
    hello, queries = await hello_after(parent, appointment, "1")
    assert (hello["messages"], hello["hasMore"], hello["lastSeq"]) == ([], False, 1)
    assert len(queries) == 2, queries  # the user, and the chat with its running call


async def test_a_long_absence_gets_the_first_messages_and_fetches_the_rest(
    appointment, parent, vet, monkeypatch
):
    monkeypatch.setattr(consumers, "RESYNC_LIMIT", 2)
    for content in ("one", "two", "three"):
        await database_sync_to_async(post_message)(vet, appointment, content)
    hello, _ = await hello_after(parent, appointment, "0")
    assert [m["content"] for m in hello["messages"]] == ["one", "two"]
    assert hello["hasMore"] is True


@pytest.mark.parametrize("after", ["x", "-1", "1.5", "2147483648", ""])
async def test_an_after_that_is_no_seq_gets_an_error_and_a_close(after, appointment, parent):
    cookie = await database_sync_to_async(session_cookie)(parent)
    communicator = socket(appointment.pk, cookie=cookie, query=f"after={after}&x=1")
    connected, _ = await communicator.connect()
    assert connected
    if after == "":  # an empty value means no cursor, as in the API
        assert "messages" not in await communicator.receive_json_from()
        return
    error = await communicator.receive_json_from()
    assert error["type"] == "error" and error["error"]["code"] == "invalid"
    assert "2147483647" in error["error"]["message"]
    output = await communicator.receive_output(timeout=2)
    assert (output["type"], output["code"]) == ("websocket.close", CLOSE_BAD_REQUEST)


@pytest.mark.parametrize("who", ["other_parent", "other_vet"])
async def test_an_outsider_is_refused_as_if_the_appointment_did_not_exist(who, appointment, people):
    cookie = await database_sync_to_async(session_cookie)(people[who])
    assert await closed_with(socket(appointment.pk, cookie=cookie)) == CLOSE_NOT_FOUND


async def test_staff_who_may_see_the_appointment_may_not_chat_in_it(appointment, staff):
    cookie = await database_sync_to_async(session_cookie)(staff)
    assert await closed_with(socket(appointment.pk, cookie=cookie)) == CLOSE_NOT_PERMITTED


async def test_an_unknown_appointment_is_refused_like_a_foreign_one(parent):
    import uuid

    cookie = await database_sync_to_async(session_cookie)(parent)
    assert await closed_with(socket(uuid.uuid4(), cookie=cookie)) == CLOSE_NOT_FOUND


async def test_an_anonymous_socket_is_refused(appointment):
    assert await closed_with(socket(appointment.pk)) == CLOSE_UNAUTHENTICATED


async def test_a_vet_yet_to_pass_the_second_factor_is_refused(appointment, vet):
    cookie = await database_sync_to_async(session_cookie)(vet, mfa_checked=False)
    assert await closed_with(socket(appointment.pk, cookie=cookie)) == CLOSE_NOT_PERMITTED


async def test_a_made_up_session_is_refused(appointment):
    assert await closed_with(socket(appointment.pk, cookie="x" * 32)) == CLOSE_UNAUTHENTICATED


async def test_an_inactive_user_is_refused(appointment, parent):
    cookie = await database_sync_to_async(session_cookie)(parent)
    await get_user_model().objects.filter(pk=parent.pk).aupdate(is_active=False)
    assert await closed_with(socket(appointment.pk, cookie=cookie)) == CLOSE_UNAUTHENTICATED


async def test_a_foreign_origin_is_refused_at_the_handshake(appointment, parent):
    cookie = await database_sync_to_async(session_cookie)(parent)
    communicator = socket(appointment.pk, cookie=cookie, origin="https://evil.example")
    connected, _ = await communicator.connect()
    assert not connected


async def test_a_socket_without_an_origin_is_refused(appointment, parent):
    cookie = await database_sync_to_async(session_cookie)(parent)
    communicator = tracked(
        WebsocketCommunicator(
            application(),
            f"/ws/appointment-chat/{appointment.pk}/",
            [(b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode())],
        )
    )
    connected, _ = await communicator.connect()
    assert not connected


async def test_a_path_that_is_no_socket_is_refused_at_the_handshake(parent):
    cookie = await database_sync_to_async(session_cookie)(parent)
    headers = [
        (b"origin", ORIGIN.encode()),
        (b"host", b"testserver"),
        (b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode()),
    ]
    for path in ["/ws/appointment-chat/not-a-uuid/", "/ws/nothing/", "/"]:
        communicator = tracked(WebsocketCommunicator(application(), path, headers))
        connected, _ = await communicator.connect()
        assert not connected, path


async def test_ping_answers_pong(appointment, parent):
    communicator = await opened(appointment.pk, parent)
    await communicator.send_json_to({"type": "ping"})
    assert await communicator.receive_json_from() == {"type": "pong"}
    await communicator.disconnect()


async def test_frames_that_are_not_json_objects_get_an_error_and_the_socket_stays(
    appointment, parent
):
    communicator = await opened(appointment.pk, parent)
    for frame in ({"text_data": "not json"}, {"text_data": "[" * 100_000}, {"bytes_data": b"\0"}):
        await communicator.send_to(**frame)
        answer = await communicator.receive_json_from()
        assert answer["type"] == "error" and answer["error"]["code"] == "unknown_type"
    await communicator.send_json_to({"type": "ping"})
    assert await communicator.receive_json_from() == {"type": "pong"}
    await communicator.disconnect()


async def test_a_connection_over_its_frame_budget_is_closed(appointment, parent):
    communicator = await opened(appointment.pk, parent)
    for _ in range(FRAME_BUDGET):
        await communicator.send_json_to({"type": "ping"})
        assert await communicator.receive_json_from() == {"type": "pong"}
    await communicator.send_json_to({"type": "ping"})
    assert await communicator.receive_output(timeout=2) == {
        "type": "websocket.close",
        "code": CLOSE_TOO_MANY,
    }


async def test_typing_reaches_the_other_side_at_most_once_in_three_seconds(
    appointment, parent, vet
):
    # given both sides connected
    parent_socket = await opened(appointment.pk, parent)
    vet_socket = await opened(appointment.pk, vet)
    # when the parent types in a burst
    for _ in range(5):
        await parent_socket.send_json_to({"type": "typing"})
    # then the vet hears it once, and the parent not at all
    assert await vet_socket.receive_json_from(timeout=2) == {
        "type": "typing",
        "userId": str(parent.pk),
        "name": parent.name,
    }
    assert await vet_socket.receive_nothing(timeout=0.5)
    assert await parent_socket.receive_nothing(timeout=0.1)
    # and after three seconds, again
    await asyncio.sleep(3)
    await parent_socket.send_json_to({"type": "typing"})
    assert (await vet_socket.receive_json_from(timeout=2))["type"] == "typing"
    await parent_socket.disconnect()
    await vet_socket.disconnect()


async def test_typing_in_one_chat_is_not_heard_in_another(appointment, parent, vet):
    elsewhere = await database_sync_to_async(AppointmentFactory)(
        pet__owner=parent, veterinarian=vet
    )
    parent_socket = await opened(appointment.pk, parent)
    vet_elsewhere = await opened(elsewhere.pk, vet)
    await parent_socket.send_json_to({"type": "typing"})
    assert await vet_elsewhere.receive_nothing(timeout=0.5)
    await parent_socket.disconnect()
    await vet_elsewhere.disconnect()


async def test_signing_out_closes_that_sessions_sockets(appointment, parent):
    cookie = await database_sync_to_async(session_cookie)(parent)
    communicator = socket(appointment.pk, cookie=cookie)
    await communicator.connect()
    await communicator.receive_json_from()
    await database_sync_to_async(close_sockets_of_session)(cookie)
    output = await communicator.receive_output(timeout=2)
    assert output == {"type": "websocket.close", "code": CLOSE_UNAUTHENTICATED}


# Pushes ------------------------------------------------------------------------------------

URL = "/api/appointment-chat/messages"


def post_message(user, appointment, content: str = "hello") -> dict:
    response = signed_in_client(user).post(
        URL, {"appointmentId": str(appointment.pk), "content": content}, "application/json"
    )
    assert response.status_code == HTTPStatus.CREATED, response.content
    return response.json()["message"]


async def test_a_sent_message_reaches_both_sides_as_the_api_shows_it(appointment, parent, vet):
    parent_socket = await opened(appointment.pk, parent)
    vet_socket = await opened(appointment.pk, vet)
    sent = await database_sync_to_async(post_message)(parent, appointment, "Rex limps")
    for communicator in (vet_socket, parent_socket):
        assert await communicator.receive_json_from(timeout=2) == {
            "type": "message",
            "message": sent,
        }
    await parent_socket.disconnect()
    await vet_socket.disconnect()


def edit_message(user, message_id: str, content: str) -> dict:
    response = signed_in_client(user).patch(
        f"{URL}/{message_id}", {"content": content}, "application/json"
    )
    assert response.status_code == HTTPStatus.OK, response.content
    return response.json()["message"]


async def test_an_edit_rings_both_sides_with_the_chats_new_rev(appointment, parent, vet):
    sent = await database_sync_to_async(post_message)(parent, appointment, "Rex limsp")
    parent_socket = await opened(appointment.pk, parent)
    vet_socket = await opened(appointment.pk, vet)
    await database_sync_to_async(edit_message)(parent, sent["_id"], "Rex limps")
    rev = (await database_sync_to_async(Chat.objects.get)(appointment=appointment)).rev
    assert rev > 1
    for communicator in (vet_socket, parent_socket):
        # a doorbell without the text: each page fetches the change as it may see it
        assert await communicator.receive_json_from(timeout=2) == {"type": "changed", "rev": rev}
    await parent_socket.disconnect()
    await vet_socket.disconnect()


async def test_a_message_is_pushed_only_after_its_transaction_commits(appointment, parent, vet):
    vet_socket = await opened(appointment.pk, vet)
    sent_inside, may_commit = threading.Event(), threading.Event()

    def send_in_a_long_transaction(rollback: bool) -> None:
        chat = access_chat(user=parent, appointment_id=appointment.pk)
        try:
            with transaction.atomic():
                message_send(chat=chat, sender=parent, content="wait for it")
                sent_inside.set()
                may_commit.wait(5)
                if rollback:
                    raise RuntimeError("rolled back")
        except RuntimeError:
            pass

    # given a send whose transaction has not committed yet
    sending = asyncio.get_running_loop().run_in_executor(None, send_in_a_long_transaction, False)
    await asyncio.get_running_loop().run_in_executor(None, sent_inside.wait, 5)
    # then nothing is pushed
    assert await vet_socket.receive_nothing(timeout=0.5)
    # when it commits, then the message arrives
    may_commit.set()
    await sending
    assert (await vet_socket.receive_json_from(timeout=2))["message"]["content"] == "wait for it"

    # and a send that rolls back is never pushed
    sent_inside.clear()
    may_commit.clear()
    sending = asyncio.get_running_loop().run_in_executor(None, send_in_a_long_transaction, True)
    await asyncio.get_running_loop().run_in_executor(None, sent_inside.wait, 5)
    may_commit.set()
    await sending
    assert await vet_socket.receive_nothing(timeout=0.5)
    await vet_socket.disconnect()


async def test_reading_pushes_the_read_cursor_to_the_sender_once(appointment, parent, vet):
    parent_socket = await opened(appointment.pk, parent)
    await database_sync_to_async(post_message)(parent, appointment, "one")
    await database_sync_to_async(post_message)(parent, appointment, "two")
    assert (await parent_socket.receive_json_from())["type"] == "message"
    assert (await parent_socket.receive_json_from())["type"] == "message"
    vet_client = await database_sync_to_async(signed_in_client)(vet)

    # when the vet reads the chat
    response = await database_sync_to_async(vet_client.get)(
        URL, {"appointmentId": str(appointment.pk)}
    )
    assert response.status_code == HTTPStatus.OK
    # then the parent sees it read up to the last message, and by whom
    assert await parent_socket.receive_json_from(timeout=2) == {
        "type": "read",
        "userId": str(vet.pk),
        "lastReadSeq": 2,
        "name": vet.display_name,
        "clinic": True,
    }
    # and reading again moves nothing, so nothing is pushed
    await database_sync_to_async(vet_client.get)(URL, {"appointmentId": str(appointment.pk)})
    assert await parent_socket.receive_nothing(timeout=0.5)
    await parent_socket.disconnect()


async def test_signing_out_through_the_site_closes_the_sessions_socket(appointment, parent):
    client = await database_sync_to_async(signed_in_client)(parent)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    communicator = socket(appointment.pk, cookie=cookie)
    await communicator.connect()
    await communicator.receive_json_from()
    response = await database_sync_to_async(client.post)("/accounts/logout/")
    assert response.status_code == HTTPStatus.FOUND
    output = await communicator.receive_output(timeout=2)
    assert output == {"type": "websocket.close", "code": CLOSE_UNAUTHENTICATED}


async def test_deactivating_a_user_in_the_admin_closes_their_sockets(appointment, parent, staff):
    communicator = await opened(appointment.pk, parent)
    admin = await database_sync_to_async(signed_in_client)(staff)
    response = await database_sync_to_async(admin.post)(
        f"/admin/accounts/user/{parent.pk}/change/",
        {
            "email": parent.email,
            "name": parent.name,
            "role": parent.role,
            "image_url": "",
            # is_active left out: the box is unticked
        },
    )
    assert response.status_code == HTTPStatus.FOUND, response.content[:2000]
    output = await communicator.receive_output(timeout=2)
    assert output == {"type": "websocket.close", "code": CLOSE_UNAUTHENTICATED}


async def test_a_ping_after_a_while_closes_a_socket_whose_user_was_deactivated(
    appointment, parent, monkeypatch
):
    communicator = await opened(appointment.pk, parent)
    await get_user_model().objects.filter(pk=parent.pk).aupdate(is_active=False)
    monkeypatch.setattr("chat.consumers.RECHECK_INTERVAL", 0)
    await communicator.send_json_to({"type": "ping"})
    output = await communicator.receive_output(timeout=2)
    assert output == {"type": "websocket.close", "code": CLOSE_UNAUTHENTICATED}


async def test_cancelling_the_appointment_in_the_admin_tells_open_chats(appointment, vet, staff):
    communicator = await opened(appointment.pk, vet)
    admin = await database_sync_to_async(signed_in_client)(staff)
    response = await database_sync_to_async(admin.post)(
        f"/admin/appointments/appointment/{appointment.pk}/change/",
        appointment_form(appointment, status="cancelled"),
    )
    assert response.status_code == HTTPStatus.FOUND, response.content[-3000:]
    assert await communicator.receive_json_from(timeout=2) == {
        "type": "chat",
        "status": "cancelled",
    }
    await communicator.disconnect()


# The inbox: unread badges of the lists --------------------------------------------------------


def inbox(cookie: str | None):
    headers = [(b"origin", ORIGIN.encode()), (b"host", b"testserver")]
    if cookie:
        headers.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode()))
    return tracked(WebsocketCommunicator(application(), "/ws/inbox/", headers))


async def test_the_inbox_rings_for_a_new_message_and_for_reading_it(appointment, parent, vet):
    cookie = await database_sync_to_async(session_cookie)(parent)
    communicator = inbox(cookie)
    assert (await communicator.connect())[0]
    assert await communicator.receive_json_from() == {"type": "hello"}
    # when the vet writes, then the parent's lists hear of it
    await database_sync_to_async(post_message)(vet, appointment, "Results are in")
    unread = {"type": "unread", "appointmentId": str(appointment.pk)}
    assert await communicator.receive_json_from(timeout=2) == unread
    # when the parent reads it (in another tab), then the lists hear of that too
    client = await database_sync_to_async(signed_in_client)(parent)
    await database_sync_to_async(client.get)(URL, {"appointmentId": str(appointment.pk)})
    assert await communicator.receive_json_from(timeout=2) == unread
    # and the parent's own messages ring only the vet's inbox
    await database_sync_to_async(post_message)(parent, appointment, "Thanks")
    assert await communicator.receive_nothing(timeout=0.5)
    await communicator.disconnect()


async def test_the_inbox_refuses_anonymous_sockets(db):
    assert await closed_with(inbox(None)) == CLOSE_UNAUTHENTICATED


# The care team and co-owners ------------------------------------------------------------------

WELCOMED = {"technician", "co_owner", "new_vet"}


@pytest.mark.parametrize("who", TEAM_ROLES)
async def test_the_care_team_and_co_owners_at_the_socket(who, appointment):
    # given someone the care team or the pet's owners made, or unmade
    user = await database_sync_to_async(make_role)(who, appointment)
    if who in WELCOMED:
        # then those in the chat are welcomed
        communicator = await opened(appointment.pk, user)
        await communicator.disconnect()
    else:
        # and the others are told there is no such chat
        cookie = await database_sync_to_async(session_cookie)(user)
        assert await closed_with(socket(appointment.pk, cookie=cookie)) == CLOSE_NOT_FOUND


async def closes_with_not_found(communicator) -> None:
    output = await communicator.receive_output(timeout=3)
    assert output == {"type": "websocket.close", "code": CLOSE_NOT_FOUND}, output


async def test_revoking_a_co_owner_closes_their_open_socket_at_once(appointment, parent):
    # given a co-owner with the chat open
    user = await database_sync_to_async(co_owner)(appointment)
    communicator = await opened(appointment.pk, user)
    ownership = await CoOwnership.objects.aget(user=user)
    # when the owner revokes the co-ownership
    await database_sync_to_async(co_owner_revoke)(ownership_id=ownership.pk, by=parent)
    # then their socket closes as for a chat they may not see, without waiting for a ping
    await closes_with_not_found(communicator)


async def test_taking_a_nurse_off_the_team_closes_their_socket(appointment, vet, parent):
    nurse = await database_sync_to_async(team_member)(appointment)
    nurse_socket = await opened(appointment.pk, nurse)
    parent_socket = await opened(appointment.pk, parent)
    await database_sync_to_async(team_member_remove)(
        appointment_id=appointment.pk, by=vet, user_id=nurse.pk
    )
    await closes_with_not_found(nurse_socket)
    # and nobody else's
    await parent_socket.send_json_to({"type": "ping"})
    assert await parent_socket.receive_json_from() == {"type": "pong"}
    await parent_socket.disconnect()


async def test_handing_over_closes_the_previous_vets_socket(appointment, vet):
    vet_socket = await opened(appointment.pk, vet)
    await database_sync_to_async(handed_over)(appointment)
    await closes_with_not_found(vet_socket)


async def test_a_vet_kept_on_the_team_keeps_their_socket(appointment, vet):
    vet_socket = await opened(appointment.pk, vet)
    await database_sync_to_async(handed_over)(appointment, keep_on_team=True)
    assert await AppointmentMember.objects.filter(appointment=appointment, user=vet).aexists()
    # the hand-over's entry arrives, and the socket stays
    assert (await vet_socket.receive_json_from(timeout=3))["type"] == "message"
    await vet_socket.send_json_to({"type": "ping"})
    assert await vet_socket.receive_json_from() == {"type": "pong"}
    await vet_socket.disconnect()
