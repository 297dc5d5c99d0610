"""An urgent chat pages the people on call: level 1 first (push, email with a signed link, a
text to the shift's pager phone), the next level on shift when level 1 is empty, the emergency
list when nobody is on shift; a clinic without a rota pages nobody; a chat already paged is not
paged again while a page waits. Each page is a notice in the chat and an audit event."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from audit.models import AuditEvent
from notifications.models import QueuedEmail
from oncall.models import EMERGENCY_LEVEL, EmergencyContact, Page
from oncall.selectors import has_rota, on_call_at, pages_of_chat
from oncall.services import page_of_link, page_text_send
from tests.factories import first_clinic, send_message
from tests.notifications.push_services import vapid_settings
from tests.oncall.conftest import NIGHT, PAGER, chat_of, flag, notices, shift, states
from tests.queued_email import send_queued_emails
from tests.sms.outbound_helpers import jobs, subscribe_browser

pytestmark = pytest.mark.django_db


def test_a_red_flag_pages_level_one_by_push_email_and_text(
    settings, twilio, foster, patel, appointment, parent, django_capture_on_commit_callbacks
):
    # given Foster on level 1 now, with a pager phone and a browser subscribed to pushes
    shift(foster, 1, at=timezone.now(), phone=PAGER)
    shift(patel, 2, at=timezone.now())
    for name, value in vapid_settings().items():
        setattr(settings, name, value)
    subscribe_browser(foster)
    # when the parent writes about a red-flag sign
    with django_capture_on_commit_callbacks(execute=True):
        send_message(parent, appointment, "She's been fitting for five minutes")

    # then Foster alone (level 1) is paged, about the flagged message
    [page] = Page.objects.all()
    assert (page.person, page.level, page.state) == (foster, 1, Page.State.WAITING)
    assert page.sign == "Seizure or fitting"
    assert page.due_at - page.paged_at == timedelta(minutes=10)
    assert notices(appointment) == ["Dr. Foster (on call) was paged."]
    [event] = AuditEvent.objects.filter(action=AuditEvent.Action.ONCALL_PAGED)
    assert (event.user, event.appointment_id) == (foster, appointment.pk)
    # a push to Foster's browser
    assert len(jobs("notifications.tasks.send_push")) == 1
    # the email, queued, with a signed link to the page
    assert QueuedEmail.objects.filter(kind="oncall_page").count() == 1
    send_queued_emails()
    [email] = mail.outbox
    assert email.to == [foster.email]
    assert "Seizure or fitting" in email.subject
    link = next(line for line in email.body.splitlines() if "/oncall/link/" in line)
    assert page_of_link(link.rsplit("/oncall/link/", 1)[1].strip("/")) == page.pk
    # the text, through Twilio's client to the stand-in
    assert page.text_to == PAGER
    sent = page_text_send(page_id=page.pk, now=NIGHT)
    [text] = twilio.sent()
    assert text["to"] == PAGER
    assert "Acknowledge within 10 minutes" in text["body"]
    assert sent.text_sid == text["sid"]


def test_a_clinic_without_a_rota_pages_nobody(
    appointment, parent, django_capture_on_commit_callbacks
):
    assert not has_rota(appointment.clinic_id)
    with django_capture_on_commit_callbacks(execute=True):
        send_message(parent, appointment, "She's been fitting for five minutes")
    assert not Page.objects.exists()
    assert notices(appointment) == []


def test_with_level_one_empty_the_next_level_on_shift_is_paged(patel, kim, appointment):
    shift(patel, 2)
    shift(kim, 3)
    [page] = flag(appointment)
    assert (page.person, page.level) == (patel, 2)


def test_with_nobody_on_shift_the_emergency_list_is_paged_all_at_once(
    foster, patel, kim, boss, appointment
):
    shift(foster, 1, at=NIGHT - timedelta(days=1))  # yesterday's shift: over
    EmergencyContact.objects.create(clinic=first_clinic(), clinician=boss, position=0)
    EmergencyContact.objects.create(clinic=first_clinic(), clinician=kim, position=1)

    pages = flag(appointment)

    assert {(p.person, p.level) for p in pages} == {(boss, EMERGENCY_LEVEL), (kim, EMERGENCY_LEVEL)}
    assert notices(appointment) == [
        "Dr. Okafor (emergency list) and Sam Kim (emergency list) were paged."
    ]
    assert AuditEvent.objects.filter(action=AuditEvent.Action.ONCALL_PAGED).count() == 2


def test_a_chat_already_paged_is_not_paged_again_while_a_page_waits(rota, appointment):
    flag(appointment, seq=1)
    assert flag(appointment, now=NIGHT + timedelta(minutes=2), seq=3) == []
    assert len(pages_of_chat(chat_of(appointment).pk)) == 1


def test_who_is_on_call_at_a_moment(rota, foster, patel, kim):
    clinic_id = first_clinic().pk
    assert on_call_at(clinic_id, NIGHT) == [foster.pk, patel.pk, kim.pk]
    assert on_call_at(clinic_id, NIGHT, level=2) == [patel.pk]
    assert on_call_at(clinic_id, NIGHT + timedelta(hours=7)) == []
    assert has_rota(clinic_id)


def test_an_escalation_walks_three_levels_to_the_emergency_list_and_ends_unanswered(
    rota, appointment
):
    from oncall.services import pages_overdue_escalate, round_escalate_if_due

    [first] = flag(appointment)
    chat_id = first.chat_id

    # before its due time, nothing moves
    assert round_escalate_if_due(chat_id=chat_id, round_=1, now=NIGHT + timedelta(minutes=9)) == (
        Page.State.WAITING
    )
    at = NIGHT
    for round_ in (1, 2, 3, 4):
        at += timedelta(minutes=10)
        round_escalate_if_due(chat_id=chat_id, round_=round_, now=at)

    assert states(appointment) == [
        ("Dr. Foster", 1, Page.State.ESCALATED),
        ("Dr. Patel", 2, Page.State.ESCALATED),
        ("Sam Kim", 3, Page.State.ESCALATED),
        ("Dr. Okafor", EMERGENCY_LEVEL, Page.State.UNANSWERED),
    ]
    assert notices(appointment) == [
        "Dr. Foster (on call) was paged.",
        "Not acknowledged in 10 minutes: Dr. Patel (on call) was paged.",
        "Not acknowledged in 10 minutes: Sam Kim (on call) was paged.",
        "Not acknowledged in 10 minutes: Dr. Okafor (emergency list) was paged.",
        "Not acknowledged in 10 minutes, and nobody else is on call to page. If this is an "
        "emergency, phone the clinic or an emergency hospital now.",
    ]
    escalated = AuditEvent.objects.filter(action=AuditEvent.Action.ONCALL_ESCALATED)
    assert sorted(e.user.name for e in escalated) == [
        "Dr. Foster",
        "Dr. Okafor",
        "Dr. Patel",
        "Sam Kim",
    ]
    # a job run again changes nothing, and the periodic net finds nothing left waiting
    assert round_escalate_if_due(chat_id=chat_id, round_=1, now=at) == Page.State.ESCALATED
    assert pages_overdue_escalate(now=at + timedelta(hours=1)) == 0


def test_the_escalation_job_is_deferred_for_the_due_time(rota, appointment):
    [page] = flag(appointment)
    [job] = jobs("oncall.tasks.escalate_page_round")
    assert job["args"] == {"chat_id": page.chat_id, "round": 1}
    assert job["scheduled_at"] == page.due_at


def test_the_periodic_net_escalates_a_round_whose_job_was_lost(rota, appointment, patel):
    from oncall.services import pages_overdue_escalate

    flag(appointment)
    assert pages_overdue_escalate(now=NIGHT + timedelta(minutes=5)) == 0
    assert pages_overdue_escalate(now=NIGHT + timedelta(minutes=11)) == 1
    assert Page.objects.get(state=Page.State.WAITING).person == patel
