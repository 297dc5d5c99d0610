"""The calls' services with time as a parameter: how each call ends, the one entry each writes,
the jobs that end the calls nobody finished, and an accept racing the ring's end."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connections
from procrastinate.contrib.django.models import ProcrastinateJob

from appointments.access import Action, may
from calls.models import Call
from calls.services import (
    CallEnded,
    CallRunning,
    call_accept,
    call_connection_lost,
    call_decline,
    call_end_if_overdue,
    call_hangup,
    call_rejoin,
    call_start,
    calls_overdue_end,
)
from calls.tasks import end_call_if_overdue
from chat.models import Message
from chat.services import access_chat
from notifications.services import URGENT_PRIORITY
from tenancy.models import Clinic
from tenancy.zones import forget_clinic_zones
from tests.care_team import team_member

T0 = datetime(2026, 3, 3, 14, 3, 0, tzinfo=UTC)


@pytest.fixture
def chat(appointment, vet):
    return access_chat(user=vet, appointment_id=appointment.pk, action=Action.CALL)


def start(chat, vet, now=T0) -> Call:
    return call_start(chat=chat, caller=vet, channel="vet-socket", now=now)


def entries(appointment) -> list[Message]:
    return list(
        Message.objects.filter(chat__appointment=appointment, message_type=Message.Type.SYSTEM)
    )


def test_a_call_nobody_answers_ends_as_missed_when_its_ring_runs_out(
    appointment, chat, vet, settings
):
    call = start(chat, vet)
    rings_until = T0 + timedelta(seconds=settings.VETCHAT_CALL_RING_SECONDS)

    # the job, run a moment early, leaves it ringing; run on time, it ends it
    assert call_end_if_overdue(call_id=call.pk, now=rings_until - timedelta(seconds=1)) == ""
    assert call_end_if_overdue(call_id=call.pk, now=rings_until) == "missed"

    [entry] = entries(appointment)
    assert entry.content == "Missed call from Dr. Jane Foster, 14:03"
    assert entry.payload["call"]["outcome"] == "missed"
    assert entry.payload["call"]["seconds"] == 0
    # and a job run again writes nothing more
    assert call_end_if_overdue(call_id=call.pk, now=rings_until + timedelta(hours=1)) == "missed"
    assert len(entries(appointment)) == 1


def test_the_ring_timeout_is_deferred_for_the_moment_it_runs_out(chat, vet, settings):
    call = start(chat, vet)
    [job] = ProcrastinateJob.objects.filter(task_name=end_call_if_overdue.name)
    assert job.args == {"call_id": str(call.pk)}
    assert job.scheduled_at == T0 + timedelta(seconds=settings.VETCHAT_CALL_RING_SECONDS)
    # ahead of any backlog of emails in the queue
    assert job.priority > URGENT_PRIORITY


def test_a_declined_call_is_recorded_in_the_clinics_time_zone(appointment, chat, vet, parent):
    Clinic.objects.filter(pk=appointment.clinic_id).update(time_zone="Europe/Berlin")
    forget_clinic_zones()
    call = start(chat, vet)

    call_decline(chat=chat, user=parent, call_id=call.pk, now=T0 + timedelta(seconds=5))

    [entry] = entries(appointment)
    assert entry.content == "Declined call from Dr. Jane Foster, 15:03"
    assert Call.objects.get(pk=call.pk).outcome == "declined"


def test_a_hung_up_visit_records_its_length_and_times(appointment, chat, vet, parent):
    call = start(chat, vet)
    call_accept(
        chat=chat, user=parent, call_id=call.pk, channel="p", now=T0 + timedelta(seconds=20)
    )

    call_hangup(chat=chat, user=vet, call_id=call.pk, now=T0 + timedelta(seconds=20, minutes=12))

    [entry] = entries(appointment)
    assert entry.content == "Video visit with Dr. Jane Foster, 12 min, 14:03\N{EN DASH}14:15"
    record = entry.payload["call"]
    assert record["outcome"] == "completed" and record["seconds"] == 12 * 60
    assert record["answeredById"] == str(parent.pk)


def test_a_connection_lost_and_not_rejoined_ends_the_call_as_failed(
    appointment, chat, vet, parent, settings
):
    call = start(chat, vet)
    call_accept(chat=chat, user=parent, call_id=call.pk, channel="p", now=T0)
    lost_at = T0 + timedelta(minutes=2)

    assert call_connection_lost(call_id=call.pk, channel="p", now=lost_at)

    grace = timedelta(seconds=settings.VETCHAT_CALL_REJOIN_SECONDS)
    assert call_end_if_overdue(call_id=call.pk, now=lost_at + grace / 2) == ""
    assert call_end_if_overdue(call_id=call.pk, now=lost_at + grace) == "failed"
    [entry] = entries(appointment)
    assert entry.content == (
        "Video visit with Dr. Jane Foster, 2 min, 14:03\N{EN DASH}14:05 (the connection was lost)"
    )


def test_a_party_that_rejoins_in_time_keeps_the_call(chat, vet, parent, settings):
    call = start(chat, vet)
    call_accept(chat=chat, user=parent, call_id=call.pk, channel="p", now=T0)
    call_connection_lost(call_id=call.pk, channel="p", now=T0 + timedelta(minutes=1))

    call_rejoin(
        chat=chat,
        user=parent,
        call_id=call.pk,
        channel="p2",
        now=T0 + timedelta(minutes=1, seconds=5),
    )

    assert call_end_if_overdue(call_id=call.pk, now=T0 + timedelta(hours=1)) == ""


def test_an_old_socket_closing_after_the_rejoin_is_no_loss(chat, vet, parent):
    call = start(chat, vet)
    call_accept(chat=chat, user=parent, call_id=call.pk, channel="p", now=T0)
    call_rejoin(chat=chat, user=parent, call_id=call.pk, channel="p2", now=T0)

    assert not call_connection_lost(call_id=call.pk, channel="p", now=T0)


def test_the_periodic_run_ends_calls_whose_job_was_lost(appointment, chat, vet, settings):
    start(chat, vet)
    ProcrastinateJob.objects.all().delete()  # the deferred job lost

    assert calls_overdue_end(now=T0 + timedelta(seconds=10)) == 0
    assert calls_overdue_end(now=T0 + timedelta(minutes=5)) == 1
    [entry] = entries(appointment)
    assert entry.content == "Missed call from Dr. Jane Foster, 14:03"


def test_one_call_at_a_time_per_chat_until_the_last_one_is_overdue(chat, vet):
    start(chat, vet)
    with pytest.raises(CallRunning):
        start(chat, vet, now=T0 + timedelta(seconds=10))
    # a ring whose job has not run yet gives way: it ends as missed and the new one rings
    second = start(chat, vet, now=T0 + timedelta(minutes=5))
    assert Call.objects.filter(outcome="").get() == second
    assert Call.objects.filter(outcome="missed").count() == 1


def test_an_answer_after_the_ring_ran_out_is_too_late(chat, vet, parent, settings):
    call = start(chat, vet)
    late = T0 + timedelta(seconds=settings.VETCHAT_CALL_RING_SECONDS)
    with pytest.raises(CallEnded):
        call_accept(chat=chat, user=parent, call_id=call.pk, channel="p", now=late)
    assert Call.objects.get(pk=call.pk).outcome == "missed"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("attempt", range(3))
def test_an_accept_racing_the_ring_timeout_ends_in_exactly_one_outcome(
    attempt, appointment, vet, parent, settings
):
    chat = access_chat(user=vet, appointment_id=appointment.pk, action=Action.CALL)
    call = start(chat, vet)
    deadline = T0 + timedelta(seconds=settings.VETCHAT_CALL_RING_SECONDS)
    barrier = threading.Barrier(2)
    results: dict[str, object] = {}

    def accept() -> None:
        barrier.wait()
        try:
            results["accept"] = call_accept(
                chat=chat,
                user=parent,
                call_id=call.pk,
                channel="p",
                now=deadline - timedelta(milliseconds=1),
            ).answered_at
        except CallEnded as error:
            results["accept"] = error
        finally:
            connections.close_all()

    def time_out() -> None:
        barrier.wait()
        try:
            results["timeout"] = call_end_if_overdue(call_id=call.pk, now=deadline)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=accept), threading.Thread(target=time_out)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)

    final = Call.objects.get(pk=call.pk)
    if final.outcome == "missed":  # the timeout won: the answer was refused
        assert isinstance(results["accept"], CallEnded)
        assert final.answered_at is None
        assert len(entries(appointment)) == 1
    else:  # the answer won: the call runs, and the timeout left it alone
        assert final.outcome == "" and final.answered_at is not None
        assert results["timeout"] == ""
        assert entries(appointment) == []


def test_technicians_may_call_only_where_their_clinic_allows_it(appointment, chat):
    technician = team_member(appointment)
    chat = access_chat(user=technician, appointment_id=appointment.pk)
    assert not may(technician, chat, Action.CALL)

    Clinic.objects.filter(pk=appointment.clinic_id).update(technicians_may_call=True)

    assert may(technician, chat, Action.CALL)
    assert not may(technician, chat, Action.ANSWER_CALL)


def test_family_answers_and_the_clinic_calls(appointment, chat, vet, parent):
    assert may(vet, chat, Action.CALL) and not may(vet, chat, Action.ANSWER_CALL)
    assert may(parent, chat, Action.ANSWER_CALL) and not may(parent, chat, Action.CALL)


def test_the_transcript_shows_the_calls_entry(appointment, chat, vet, parent):
    from transcripts.selectors import transcript_document

    call = start(chat, vet)
    call_decline(chat=chat, user=parent, call_id=call.pk, now=T0)

    document = transcript_document(appointment=appointment, audience="participants")

    [entry] = [e for e in document.entries if e.message_type == Message.Type.SYSTEM]
    assert entry.content == "Declined call from Dr. Jane Foster, 14:03"


def test_no_call_starts_in_a_read_only_chat(appointment, vet):
    from appointments.models import Appointment
    from chat.rules import ChatReadOnly

    Appointment.objects.filter(pk=appointment.pk).update(status=Appointment.Status.CANCELLED)
    chat = access_chat(user=vet, appointment_id=appointment.pk, action=Action.CALL)

    with pytest.raises(ChatReadOnly):
        start(chat, vet)
    assert not Call.objects.exists()
