"""Video calls over the chat's socket, through the whole ASGI stack with Channels' communicator,
on the suite's real PostgreSQL and Redis: who may ring, answer and signal, and where each frame
goes."""

import asyncio
import uuid
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone
from uvicorn.protocols.utils import ClientDisconnected

from calls.models import Call
from calls.services import call_end_if_overdue
from calls.signalling import SIGNAL_BUDGET
from chat.consumers import CLOSE_NOT_FOUND, FRAME_BUDGET
from chat.models import Message
from tenancy.models import Clinic
from tests.care_team import co_owner, team_member
from tests.chat.test_consumers import (  # noqa: F401  (the fixture closes every socket)
    close_socket_connections,
    closed_with,
    closes_with_not_found,
    opened,
    session_cookie,
    socket,
)
from tests.factories import AppointmentFactory, ClinicFactory, VetFactory

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

OFFER = {"description": {"type": "offer", "sdp": "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n"}}
CANDIDATE = {
    "candidate": {
        "candidate": "candidate:1 1 udp 2122260223 192.0.2.1 54400 typ host",
        "sdpMid": "0",
        "sdpMLineIndex": 0,
        "usernameFragment": "abcd",
    }
}


async def next_of(communicator, kind: str, timeout: float = 2) -> dict:
    """The next frame of this type, skipping others (typing, messages…)."""
    while True:
        frame = await communicator.receive_json_from(timeout=timeout)
        if frame["type"] == kind:
            return frame


async def call_in_state(communicator, state: str, timeout: float = 2) -> dict:
    """The next `call` frame in this state (a socket may hear a state twice: its own answer and
    the chat's broadcast)."""
    while True:
        frame = await next_of(communicator, "call", timeout)
        if frame["call"]["state"] == state:
            return frame["call"]


async def error_code(communicator) -> str:
    return (await next_of(communicator, "error"))["error"]["code"]


async def frames(communicator, count: int) -> list[dict]:
    return [await communicator.receive_json_from(timeout=2) for _ in range(count)]


async def ringing(appointment, vet, parent):
    """The vet's socket started a call and the parent's rang; returns both and the call id."""
    vet_socket = await opened(appointment.pk, vet)
    parent_socket = await opened(appointment.pk, parent)
    await vet_socket.send_json_to({"type": "call.start"})
    # the caller's own answer (the call, its ICE servers) and the chat's broadcast
    heard = await frames(vet_socket, 3)
    assert sorted(frame["type"] for frame in heard) == ["call", "call", "call.ice"]
    [call_id] = {frame.get("callId") or frame["call"]["id"] for frame in heard}
    [rang] = await frames(parent_socket, 1)
    assert rang["call"]["id"] == call_id and rang["call"]["state"] == "ringing"
    return vet_socket, parent_socket, call_id


async def answered(appointment, vet, parent):
    vet_socket, parent_socket, call_id = await ringing(appointment, vet, parent)
    await parent_socket.send_json_to({"type": "call.accept", "callId": call_id})
    heard = await frames(parent_socket, 3)
    assert sorted(frame["type"] for frame in heard) == ["call", "call", "call.ice"]
    assert {frame["call"]["state"] for frame in heard if frame["type"] == "call"} == {"active"}
    [active] = await frames(vet_socket, 1)
    assert active["call"]["state"] == "active"
    return vet_socket, parent_socket, call_id


def entries(appointment) -> list[str]:
    return list(
        Message.objects.filter(
            chat__appointment=appointment, message_type=Message.Type.SYSTEM
        ).values_list("content", flat=True)
    )


async def test_the_vet_rings_the_parent_who_answers_and_their_signals_pass_between_them(
    appointment, vet, parent
):
    # given a call the parent answered, and a co-owner's page open on the chat
    helper = await database_sync_to_async(co_owner)(appointment)
    vet_socket, parent_socket, call_id = await answered(appointment, vet, parent)
    helper_socket = await opened(appointment.pk, helper)

    # when each sends the other a signal
    await vet_socket.send_json_to({"type": "call.signal", "callId": call_id, "signal": OFFER})
    await parent_socket.send_json_to(
        {"type": "call.signal", "callId": call_id, "signal": CANDIDATE}
    )

    # then each hears the other's, unchanged, and nobody else does
    heard = await next_of(parent_socket, "call.signal")
    assert heard == {"type": "call.signal", "callId": call_id, "from": str(vet.pk), "signal": OFFER}
    heard = await next_of(vet_socket, "call.signal")
    assert heard["signal"] == CANDIDATE and heard["from"] == str(parent.pk)
    assert await helper_socket.receive_nothing(timeout=0.3)


async def test_the_ringing_frame_names_caller_pet_and_times(appointment, vet, parent):
    vet_socket, parent_socket, call_id = await ringing(appointment, vet, parent)
    await vet_socket.send_json_to({"type": "call.start"})
    assert await error_code(vet_socket) == "call_running"
    call = await database_sync_to_async(Call.objects.get)(pk=call_id)
    assert call.caller_id == vet.pk and call.outcome == ""
    await vet_socket.disconnect()
    await parent_socket.disconnect()


@pytest.mark.parametrize("who", ["parent", "co_owner", "outside_vet", "team_technician"])
async def test_only_the_appointments_vet_may_start_a_call(who, appointment, vet, parent):
    def make():
        if who == "parent":
            return parent
        if who == "co_owner":
            return co_owner(appointment)
        if who == "outside_vet":
            return VetFactory()
        return team_member(appointment)

    user = await database_sync_to_async(make)()
    if who == "outside_vet":  # cannot even open the chat's socket
        cookie = await database_sync_to_async(session_cookie)(user)
        assert await closed_with(socket(appointment.pk, cookie=cookie)) == CLOSE_NOT_FOUND
        return
    communicator = await opened(appointment.pk, user)
    await communicator.send_json_to({"type": "call.start"})
    assert await error_code(communicator) == "not_permitted"
    assert not await Call.objects.aexists()


async def test_a_technician_may_call_where_the_clinic_allows_it(appointment, parent):
    technician = await database_sync_to_async(team_member)(appointment)
    await Clinic.objects.filter(pk=appointment.clinic_id).aupdate(technicians_may_call=True)
    tech_socket = await opened(appointment.pk, technician)
    parent_socket = await opened(appointment.pk, parent)

    await tech_socket.send_json_to({"type": "call.start"})

    rang = await next_of(parent_socket, "call")
    assert rang["call"]["callerId"] == str(technician.pk)
    assert rang["call"]["callerName"] == "Sam Lee"


async def test_a_stranger_cannot_accept_signal_or_inject_into_a_call(appointment, vet, parent):
    # given a running call, and the vet of another clinic's appointment on their own chat
    vet_socket, parent_socket, call_id = await answered(appointment, vet, parent)
    foreign_clinic = await database_sync_to_async(ClinicFactory)()
    elsewhere = await database_sync_to_async(AppointmentFactory)(clinic=foreign_clinic)
    stranger = await database_sync_to_async(lambda: elsewhere.veterinarian)()
    stranger_socket = await opened(elsewhere.pk, stranger)

    # when the stranger names the call from their own chat's socket
    for frame in (
        {"type": "call.accept", "callId": call_id},
        {"type": "call.decline", "callId": call_id},
        {"type": "call.hangup", "callId": call_id},
        {"type": "call.rejoin", "callId": call_id},
        {"type": "call.signal", "callId": call_id, "signal": CANDIDATE},
    ):
        await stranger_socket.send_json_to(frame)
        # then it does not exist for them, and nothing reaches the call's parties
        assert await error_code(stranger_socket) == "not_found"
    assert await vet_socket.receive_nothing(timeout=0.3)
    assert await parent_socket.receive_nothing(timeout=0.1)
    # and the stranger cannot open the call's chat at all
    cookie = await database_sync_to_async(session_cookie)(stranger)
    assert await closed_with(socket(appointment.pk, cookie=cookie)) == CLOSE_NOT_FOUND


async def test_a_co_owner_who_did_not_answer_cannot_signal_into_the_call(appointment, vet, parent):
    helper = await database_sync_to_async(co_owner)(appointment)
    vet_socket, _parent_socket, call_id = await answered(appointment, vet, parent)
    helper_socket = await opened(appointment.pk, helper)

    await helper_socket.send_json_to({"type": "call.signal", "callId": call_id, "signal": OFFER})
    assert await error_code(helper_socket) == "not_found"
    await helper_socket.send_json_to({"type": "call.accept", "callId": call_id})
    assert await error_code(helper_socket) == "answered_elsewhere"
    assert await vet_socket.receive_nothing(timeout=0.3)


async def test_a_removed_co_owner_loses_the_call_with_the_chat(appointment, vet, parent):
    from appointments.models import CoOwnership
    from appointments.services import co_owner_revoke

    helper = await database_sync_to_async(co_owner)(appointment)
    _vet_socket, _parent_socket, call_id = await ringing(appointment, vet, parent)
    helper_socket = await opened(appointment.pk, helper)
    ownership = await CoOwnership.objects.aget(user=helper)

    await database_sync_to_async(co_owner_revoke)(by=parent, ownership_id=ownership.pk)

    # the removed co-owner's socket is closed, and a new one is refused
    await closes_with_not_found(helper_socket)
    cookie = await database_sync_to_async(session_cookie)(helper)
    assert await closed_with(socket(appointment.pk, cookie=cookie)) == CLOSE_NOT_FOUND
    assert (await Call.objects.aget(pk=call_id)).answered_at is None


async def test_a_call_id_of_nothing_is_not_found(appointment, parent):
    communicator = await opened(appointment.pk, parent)
    for call_id in (str(uuid.uuid4()), "not-a-uuid", None):
        await communicator.send_json_to({"type": "call.accept", "callId": call_id})
        assert await error_code(communicator) == "not_found"


@pytest.mark.parametrize(
    "signal",
    [
        None,
        "offer",
        {},
        {"description": {"type": "bogus", "sdp": ""}},
        {"description": {"type": "offer", "sdp": 5}},
        {"candidate": {"sdpMid": "0"}},
        {"candidate": {"candidate": "x", "extra": 1}},
        {"restart": False},
        {"description": {"type": "offer", "sdp": "x" * 20_000}},
        {**OFFER, **CANDIDATE},
    ],
)
async def test_a_malformed_signal_is_refused_and_not_relayed(signal, appointment, vet, parent):
    vet_socket, parent_socket, call_id = await answered(appointment, vet, parent)
    await vet_socket.send_json_to({"type": "call.signal", "callId": call_id, "signal": signal})
    assert await error_code(vet_socket) == "invalid_signal"
    assert await parent_socket.receive_nothing(timeout=0.2)


async def test_signals_have_a_budget_of_their_own_past_the_chat_frames(appointment, vet, parent):
    vet_socket, parent_socket, call_id = await answered(appointment, vet, parent)
    burst = FRAME_BUDGET * 3
    assert burst < SIGNAL_BUDGET
    for _ in range(burst):
        await vet_socket.send_json_to(
            {"type": "call.signal", "callId": call_id, "signal": CANDIDATE}
        )
    for _ in range(burst):
        assert (await next_of(parent_socket, "call.signal"))["signal"] == CANDIDATE


async def test_decline_ends_the_call_with_an_entry(appointment, vet, parent):
    vet_socket, parent_socket, call_id = await ringing(appointment, vet, parent)

    await parent_socket.send_json_to({"type": "call.decline", "callId": call_id})

    ended = await call_in_state(vet_socket, "ended")
    assert ended["outcome"] == "declined"
    [entry] = await database_sync_to_async(entries)(appointment)
    assert entry.startswith("Declined call from Dr. Jane Foster, ")


async def test_hanging_up_records_the_visit(appointment, vet, parent):
    vet_socket, parent_socket, call_id = await answered(appointment, vet, parent)

    await parent_socket.send_json_to({"type": "call.hangup", "callId": call_id})

    ended = await call_in_state(vet_socket, "ended")
    assert ended["outcome"] == "completed"
    [entry] = await database_sync_to_async(entries)(appointment)
    assert entry.startswith("Video visit with Dr. Jane Foster, 1 min, ")


async def test_the_caller_hanging_up_while_it_rings_leaves_a_missed_call(appointment, vet, parent):
    vet_socket, parent_socket, call_id = await ringing(appointment, vet, parent)

    await vet_socket.send_json_to({"type": "call.hangup", "callId": call_id})

    assert (await call_in_state(parent_socket, "ended"))["outcome"] == "missed"
    [entry] = await database_sync_to_async(entries)(appointment)
    assert entry.startswith("Missed call from Dr. Jane Foster, ")


async def test_hello_names_the_running_call_and_a_reloaded_page_rejoins(appointment, vet, parent):
    vet_socket, parent_socket, call_id = await answered(appointment, vet, parent)

    # when the parent's page reloads: its old socket goes, a new one opens
    await parent_socket.disconnect()
    cookie = await database_sync_to_async(session_cookie)(parent)
    reloaded = socket(appointment.pk, cookie=cookie)
    await reloaded.connect()
    hello = await reloaded.receive_json_from()

    # then hello names the call, and the rejoin brings fresh ICE servers and tells the vet
    assert hello["call"]["id"] == call_id and hello["call"]["state"] == "active"
    await reloaded.send_json_to({"type": "call.rejoin", "callId": call_id})
    assert (await next_of(reloaded, "call.ice"))["callId"] == call_id
    rejoined = await next_of(vet_socket, "call.rejoined")
    assert rejoined == {"type": "call.rejoined", "callId": call_id, "userId": str(parent.pk)}
    # and the new socket is the one the vet's signals reach
    await vet_socket.send_json_to({"type": "call.signal", "callId": call_id, "signal": OFFER})
    assert (await next_of(reloaded, "call.signal"))["signal"] == OFFER
    call = await Call.objects.aget(pk=call_id)
    assert call.answerer_lost_at is None and call.outcome == ""


async def test_a_lost_socket_not_rejoined_in_time_ends_the_call_as_lost(
    appointment, vet, parent, settings
):
    vet_socket, parent_socket, call_id = await answered(appointment, vet, parent)
    before = timezone.now()

    await parent_socket.disconnect()

    call = await Call.objects.aget(pk=call_id)
    assert call.answerer_lost_at is not None and call.answerer_lost_at >= before
    assert call.caller_lost_at is None

    # and when nobody rejoined in time, the deferred job ends it with the visit's entry
    grace = timedelta(seconds=settings.VETCHAT_CALL_REJOIN_SECONDS)
    later = call.answerer_lost_at + grace
    ended = await database_sync_to_async(call_end_if_overdue)(call_id=call_id, now=later)
    assert ended == "failed"
    assert (await call_in_state(vet_socket, "ended"))["outcome"] == "failed"
    [entry] = await database_sync_to_async(entries)(appointment)
    assert entry.startswith("Video visit with Dr. Jane Foster, 1 min, ")
    assert entry.endswith(" (the connection was lost)")


async def test_a_party_gone_while_a_signal_was_on_its_way_is_still_lost(appointment, vet, parent):
    vet_socket, parent_socket, call_id = await answered(appointment, vet, parent)
    # given a parent's browser that closed just as the vet's next signal was sent to it
    tried = asyncio.Event()

    def gone(frame):
        tried.set()
        raise ClientDisconnected  # as uvicorn's send says it, the socket being closed

    parent_socket.output_queue.put_nowait = gone
    await vet_socket.send_json_to({"type": "call.signal", "callId": call_id, "signal": CANDIDATE})
    await asyncio.wait_for(tried.wait(), timeout=2)

    # when its disconnect follows, it is still handled: the call waits for the parent to rejoin
    await parent_socket.send_input({"type": "websocket.disconnect", "code": 1005})
    await parent_socket.wait(timeout=2)
    call = await Call.objects.aget(pk=call_id)
    assert call.answerer_lost_at is not None and call.caller_lost_at is None


async def test_a_chat_without_a_call_says_hello_as_before(appointment, parent):
    cookie = await database_sync_to_async(session_cookie)(parent)
    communicator = socket(appointment.pk, cookie=cookie)
    await communicator.connect()
    assert await communicator.receive_json_from() == {
        "type": "hello",
        "lastSeq": 0,
        "rev": 0,
        "otherLastReadSeq": 0,
    }
