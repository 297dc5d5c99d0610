"""Unread messages reach their recipient as one email, through a real worker and SMTP server."""

import re
import time
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from chat.services import access_chat, chat_mark_read, system_entry_post
from notifications.models import ChatNotification, Preference, UnreadEmail
from tenancy.models import Clinic
from tests.factories import AppointmentFactory, send_message
from tests.notifications.conftest import jobs_left, wait_until

DELAY = 2
# A task's jobs waiting for their time; the running worker's periodic jobs wait there too.
HELD_JOBS = "SELECT scheduled_at FROM procrastinate_jobs WHERE status = 'todo' AND task_name = %s"
RELEASE_JOBS = (
    "UPDATE procrastinate_jobs SET scheduled_at = now() WHERE status = 'todo' AND task_name = %s"
)


@pytest.fixture(autouse=True)
def short_delay(settings):
    settings.VETCHAT_NOTIFY_DELAY_SECONDS = DELAY


def read_all(user, appointment) -> None:
    chat = access_chat(user=user, appointment_id=appointment.pk)
    chat_mark_read(chat=chat, user=user, up_to_seq=chat.last_seq)


def body(message, kind: str = "plain") -> str:
    return message.get_body(preferencelist=(kind,)).get_content()


def test_email_waits_for_the_delay_then_names_pet_sender_count_and_link(
    worker, smtp, appointment, parent, vet
):
    # The email comes from the appointment's clinic, whichever clinic the factory found first.
    Clinic.objects.filter(pk=appointment.clinic_id).update(name="Riverside Vets")
    worker()
    sent_at = time.monotonic()
    send_message(vet, appointment, "Bella's bloods are back and all normal.")

    wait_until(lambda: smtp.messages, timeout=DELAY + 10, what="the email")
    assert time.monotonic() - sent_at >= DELAY
    [message] = smtp.messages
    assert message["To"] == parent.email
    subject = message["Subject"]
    assert "1 unread message" in subject
    assert appointment.pet.name in subject
    assert vet.display_name in subject
    assert "Riverside Vets" in subject
    text, html = body(message), body(message, "html")
    assert f"/appointments/{appointment.pk}/" in text
    assert f"/appointments/{appointment.pk}/" in html
    assert "Riverside Vets" in text


def test_nothing_is_sent_when_the_message_is_read_before_the_delay(
    worker, smtp, appointment, parent, vet
):
    worker()
    send_message(vet, appointment, "Please call us.")
    read_all(parent, appointment)

    wait_until(lambda: jobs_left() == 0, timeout=DELAY + 10, what="the job to run")
    time.sleep(0.5)
    assert smtp.messages == []
    assert not UnreadEmail.objects.exists()


def test_five_messages_in_the_window_give_one_email_counting_five(
    worker, smtp, appointment, parent, vet
):
    worker()
    for n in range(5):
        send_message(vet, appointment, f"Update {n}")
    assert jobs_left() == 1  # the queueing lock: one waiting job per recipient and chat

    wait_until(lambda: jobs_left() == 0 and smtp.messages, timeout=DELAY + 10, what="the email")
    time.sleep(0.5)
    [message] = smtp.messages
    assert "5 unread messages" in message["Subject"]
    assert "5 unread messages" in body(message)
    assert ChatNotification.objects.get(user=parent).last_notified_seq == 5

    # The next window starts after the last email: one more message, one more email of one.
    send_message(vet, appointment, "And one more thing.")
    wait_until(lambda: len(smtp.messages) == 2, timeout=DELAY + 10, what="the second email")
    assert "1 unread message " in smtp.messages[1]["Subject"]


def test_the_parent_writing_tells_the_vet(worker, smtp, appointment, parent, vet):
    worker()
    send_message(parent, appointment, "Bella is limping again.")
    wait_until(lambda: smtp.messages, timeout=DELAY + 10, what="the email")
    assert smtp.messages[0]["To"] == vet.email
    assert parent.display_name in smtp.messages[0]["Subject"]


def test_message_text_stays_out_of_the_email_without_previews(
    worker, smtp, appointment, parent, vet
):
    worker(VETCHAT_EMAIL_PREVIEWS="0")
    send_message(vet, appointment, "Start the amoxicillin tonight.")
    wait_until(lambda: smtp.messages, timeout=DELAY + 10, what="the email")
    [message] = smtp.messages
    for part in (message["Subject"], body(message), body(message, "html")):
        assert "amoxicillin" not in part


def test_message_text_is_in_the_email_with_previews(worker, smtp, appointment, parent, vet):
    worker(VETCHAT_EMAIL_PREVIEWS="1")
    send_message(vet, appointment, "Start the amoxicillin tonight.")
    wait_until(lambda: smtp.messages, timeout=DELAY + 10, what="the email")
    [message] = smtp.messages
    assert "amoxicillin" in body(message)
    assert "amoxicillin" in body(message, "html")


def test_quiet_hours_hold_the_email_until_they_end(worker, smtp, appointment, parent, vet):
    now = timezone.localtime()
    Preference.objects.create(
        user=parent,
        quiet_from=(now - timedelta(hours=1)).time(),
        quiet_until=(now + timedelta(hours=1)).time().replace(second=0, microsecond=0),
    )
    worker()
    send_message(vet, appointment, "Results are in.")

    with connection.cursor() as cursor:
        cursor.execute(HELD_JOBS, ["notifications.tasks.notify_unread"])
        [(scheduled_at,)] = cursor.fetchall()
    assert timedelta(minutes=58) < scheduled_at - timezone.now() <= timedelta(hours=1)
    time.sleep(DELAY + 1)
    assert smtp.messages == []

    # The quiet hours end: the held job runs and the email goes out.
    Preference.objects.filter(user=parent).update(quiet_from=None, quiet_until=None)
    with connection.cursor() as cursor:
        cursor.execute(RELEASE_JOBS, ["notifications.tasks.notify_unread"])
    wait_until(lambda: smtp.messages, timeout=10, what="the email after quiet hours")
    assert smtp.messages[0]["To"] == parent.email


def test_a_refused_email_is_retried_with_backoff_and_sent_once(
    worker, smtp, appointment, parent, vet
):
    smtp.refuse = 1
    worker()
    send_message(vet, appointment, "Hello")
    wait_until(lambda: smtp.messages, timeout=DELAY + 15, what="the retried email")
    time.sleep(0.5)
    assert smtp.attempts == 2
    assert len(smtp.messages) == 1
    assert UnreadEmail.objects.get().status == UnreadEmail.Status.SENT


def test_turning_email_off_sends_nothing(worker, smtp, appointment, parent, vet):
    Preference.objects.create(user=parent, email_enabled=False)
    worker()
    send_message(vet, appointment, "Hello")
    assert jobs_left() == 0
    time.sleep(DELAY + 0.5)
    assert smtp.messages == []


def test_one_click_unsubscribe_works_signed_out_for_its_own_user_only(
    worker, smtp, appointment, parent, vet, other_parent
):
    worker()
    send_message(vet, appointment, "Hello")
    wait_until(lambda: smtp.messages, timeout=DELAY + 10, what="the email")
    [message] = smtp.messages
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    header = re.sub(r"\s+", "", str(message["List-Unsubscribe"]))  # long headers are folded
    url = re.fullmatch(r"<https?://[^/]+(/\S+)>", header).group(1)
    Preference.objects.create(user=other_parent, email_enabled=True)
    anonymous = Client(enforce_csrf_checks=True)

    # A GET only asks (link scanners open every link).
    assert anonymous.get(url).status_code == HTTPStatus.OK
    assert not Preference.objects.filter(user=parent, email_enabled=False).exists()

    # A tampered token does nothing.
    assert anonymous.post(url.replace(url[-8:-2], "AAAAAA")).status_code == HTTPStatus.NOT_FOUND
    assert not Preference.objects.filter(user=parent, email_enabled=False).exists()

    response = anonymous.post(url, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == HTTPStatus.OK
    assert Preference.objects.get(user=parent).email_enabled is False
    assert Preference.objects.get(user=other_parent).email_enabled is True

    # Signed in as someone else, the link still only acts for the user it was made for.
    Preference.objects.filter(user=parent).update(email_enabled=True)
    other = Client()
    other.force_login(other_parent)
    assert other.post(url).status_code == HTTPStatus.OK
    assert Preference.objects.get(user=parent).email_enabled is False
    assert Preference.objects.get(user=other_parent).email_enabled is True


def test_a_vets_digest_lists_every_waiting_chat_in_one_email(worker, smtp, vet):
    Preference.objects.create(user=vet, digest_hours=Preference.Digest.EVERY_4_HOURS)
    first = AppointmentFactory(veterinarian=vet, pet__name="Biscuit")
    second = AppointmentFactory(veterinarian=vet, pet__name="Pepper")
    worker()
    send_message(first.pet_parent, first, "Biscuit ate a sock")
    send_message(second.pet_parent, second, "Pepper sneezes")
    send_message(second.pet_parent, second, "A lot")

    digest = "notifications.tasks.send_digest"
    assert jobs_left() == 0
    assert jobs_left(digest) == 1
    with connection.cursor() as cursor:
        cursor.execute(HELD_JOBS, [digest])
        [(scheduled_at,)] = cursor.fetchall()
    assert timedelta(hours=3, minutes=59) < scheduled_at - timezone.now() <= timedelta(hours=4)

    # Four hours pass.
    with connection.cursor() as cursor:
        cursor.execute(RELEASE_JOBS, [digest])
    wait_until(lambda: smtp.messages, timeout=10, what="the digest")
    wait_until(lambda: jobs_left(digest) == 0, timeout=10, what="the digest job to end")
    [message] = smtp.messages
    assert message["To"] == vet.email
    assert "3 unread messages in 2 chats" in message["Subject"]
    text = body(message)
    assert "Biscuit" in text
    assert "Pepper" in text
    assert f"/appointments/{first.pk}/" in text
    assert f"/appointments/{second.pk}/" in text


def test_a_clinic_notice_queues_no_email(appointment, parent):
    system_entry_post(appointment_id=appointment.pk, content="The clinic is closed.")
    assert jobs_left() == 0
    send_message(parent, appointment, "Thanks")
    assert jobs_left() == 1  # people's messages still do
