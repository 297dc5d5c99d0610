"""Long chats are rendered by the job worker, and when an appointment's follow-up window closes
its full transcript is filed on it, once per state of the chat."""

from datetime import timedelta
from http import HTTPStatus
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from appointments.models import Appointment
from chat.models import Chat
from tests.factories import AppointmentFactory, send_message
from tests.notifications.conftest import wait_until
from tests.transcripts.conftest import one_line, pdf_text
from transcripts.models import Transcript
from transcripts.services import appointments_due_for_filing, transcripts_file_closed
from transcripts.tasks import file_closed_transcripts


def pdf_of(response) -> str:
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "application/pdf"
    return one_line(pdf_text(b"".join(response.streaming_content)))


def ready(transcript_id) -> bool:
    return Transcript.objects.get(pk=transcript_id).status == Transcript.Status.READY


@pytest.mark.django_db(transaction=True)
def test_a_long_chat_is_prepared_by_the_worker_then_downloaded(
    transcript_worker, settings, client_for, appointment, parent, vet
):
    settings.VETCHAT_TRANSCRIPT_BACKGROUND_MESSAGES = 4
    for n in range(5):
        send_message(parent if n % 2 else vet, appointment, f"Long chat line {n}")
    client = client_for(parent)
    url = f"/appointments/{appointment.pk}/transcript.pdf"

    # when the chat is over the threshold, the page says the PDF is being prepared
    first = client.get(url)
    assert first.status_code == HTTPStatus.ACCEPTED
    assert "being prepared" in first.content.decode()
    assert client.get(url).status_code == HTTPStatus.ACCEPTED  # asking again makes no second job
    transcript = Transcript.objects.get(appointment=appointment)
    assert transcript.status == Transcript.Status.PENDING
    assert transcript.audience == Transcript.Audience.PARTICIPANTS and not transcript.filed

    # then the worker renders it into the private folder, and the same link downloads it
    transcript_worker()
    wait_until(lambda: ready(transcript.pk), timeout=60, what="the transcript job")
    transcript.refresh_from_db()
    assert transcript.message_count == 5
    assert transcript.chain_head == Chat.objects.get(appointment=appointment).last_hash
    assert transcript.file.name.endswith(".pdf")
    text = pdf_of(client.get(url))
    assert all(f"Long chat line {n}" in text for n in range(5))
    assert Transcript.objects.count() == 1

    # a new message makes that one out of date: a new one is prepared
    send_message(vet, appointment, "One more thing")
    assert client.get(url).status_code in (HTTPStatus.ACCEPTED, HTTPStatus.OK)
    assert Transcript.objects.filter(appointment=appointment).count() == 2


@pytest.fixture
def clinic_days(parent, vet):
    """Completed appointments whose follow-up window has closed or not, and others."""
    now = timezone.now()

    def completed(days_ago: float, **extra) -> Appointment:
        appointment = AppointmentFactory(
            pet__owner=parent, veterinarian=vet, starts_at=now - timedelta(days=days_ago)
        )
        send_message(parent, appointment, f"Question {days_ago} days ago")
        send_message(vet, appointment, f"Answer {days_ago} days ago")
        Appointment.objects.filter(pk=appointment.pk).update(**{"status": "completed", **extra})
        return appointment

    closed = completed(9)
    still_open = completed(3)
    reopened = completed(9)
    Chat.objects.filter(appointment=reopened).update(reopened_until=now + timedelta(days=1))
    reopened_past = completed(20)
    Chat.objects.filter(appointment=reopened_past).update(reopened_until=now - timedelta(days=1))
    cancelled = completed(9, status="cancelled")
    no_chat = AppointmentFactory(
        pet__owner=parent, veterinarian=vet, starts_at=now - timedelta(days=30)
    )
    Appointment.objects.filter(pk=no_chat.pk).update(status="completed")
    return {
        "closed": closed,
        "still_open": still_open,
        "reopened": reopened,
        "reopened_past": reopened_past,
        "cancelled": cancelled,
        "no_chat": no_chat,
    }


@pytest.mark.django_db
def test_only_appointments_whose_window_closed_are_due(clinic_days):
    due = {a.pk for a in appointments_due_for_filing()}
    expected = {"closed", "reopened_past", "no_chat"}
    assert due == {clinic_days[name].pk for name in expected}


@pytest.mark.django_db
def test_filing_is_idempotent(clinic_days):
    assert transcripts_file_closed() == 3
    assert transcripts_file_closed() == 0
    filed = Transcript.objects.filter(filed=True)
    assert filed.count() == 3
    assert {t.audience for t in filed} == {Transcript.Audience.STAFF}
    assert appointments_due_for_filing() == []


@pytest.mark.django_db
def test_a_chat_reopened_and_written_in_is_filed_again_beside_the_first_filing(clinic_days, parent):
    closed = clinic_days["closed"]
    assert transcripts_file_closed(render=True) == 3
    first = Transcript.objects.get(appointment=closed, filed=True)

    # staff reopen the chat; while it is open nothing is due
    chat = Chat.objects.get(appointment=closed)
    Chat.objects.filter(pk=chat.pk).update(reopened_until=timezone.now() + timedelta(days=1))
    send_message(parent, closed, "One more question after all")
    assert closed.pk not in {a.pk for a in appointments_due_for_filing()}

    # once it has closed again, the chat as it now is gets filed, and the first filing stays
    Chat.objects.filter(pk=chat.pk).update(reopened_until=timezone.now() - timedelta(minutes=1))
    assert [a.pk for a in appointments_due_for_filing()] == [closed.pk]
    assert transcripts_file_closed(render=True) == 1
    filings = Transcript.objects.filter(appointment=closed, filed=True).order_by("chat_rev")
    assert filings[0].pk == first.pk
    assert [t.message_count for t in filings] == [2, 3]
    assert "One more question after all" in one_line(pdf_text(filings[1].file.read()))

    # a chat reopened in which nobody wrote is not filed twice
    reopened_past = clinic_days["reopened_past"]
    Chat.objects.filter(appointment=reopened_past).update(
        reopened_until=timezone.now() - timedelta(seconds=1)
    )
    assert appointments_due_for_filing() == []


@pytest.mark.django_db
def test_the_command_files_and_renders_without_a_worker(clinic_days, client_for, staff, parent):
    out = StringIO()
    call_command("file_transcripts", stdout=out)
    assert "3 transcript(s) filed." in out.getvalue()
    call_command("file_transcripts", stdout=out)
    assert "0 transcript(s) filed." in out.getvalue()
    closed = clinic_days["closed"]
    transcript = Transcript.objects.get(appointment=closed, filed=True)
    assert transcript.status == Transcript.Status.READY and transcript.message_count == 2

    url = f"/appointments/{closed.pk}/transcripts/{transcript.pk}.pdf"
    text = pdf_of(client_for(staff).get(url))
    assert "Clinic record" in text and "Question 9 days ago" in text and "Completed" in text
    # the filed record holds every version: it is for staff, not a participant's copy
    assert client_for(parent).get(url).status_code == HTTPStatus.NOT_FOUND


@pytest.mark.django_db(transaction=True)
def test_the_periodic_job_files_closed_windows_through_the_worker(transcript_worker, clinic_days):
    file_closed_transcripts.defer(timestamp=int(timezone.now().timestamp()))
    transcript_worker()
    wait_until(
        lambda: Transcript.objects.filter(filed=True, status=Transcript.Status.READY).count() == 3,
        timeout=90,
        what="three filed transcripts",
    )
    filed = Transcript.objects.get(appointment=clinic_days["closed"])
    text = one_line(pdf_text(filed.file.read()))
    assert "Answer 9 days ago" in text
    assert not Transcript.objects.filter(appointment=clinic_days["still_open"]).exists()


@pytest.mark.django_db
def test_staff_find_the_filed_transcript_on_the_appointment_in_the_admin(
    clinic_days, client_for, staff
):
    transcripts_file_closed(render=True)
    closed = clinic_days["closed"]
    transcript = Transcript.objects.get(appointment=closed, filed=True)
    page = client_for(staff).get(f"/admin/appointments/appointment/{closed.pk}/change/")
    assert page.status_code == HTTPStatus.OK
    html = page.content.decode()
    assert f'href="/appointments/{closed.pk}/transcripts/{transcript.pk}.pdf"' in html
    assert "Filed transcript (PDF)" in html
    assert f'href="/appointments/{closed.pk}/transcript.pdf"' in html
    # the inline adds nothing and deletes nothing: the record stays as filed
    assert 'name="transcripts-TOTAL_FORMS" value="1"' in html
    assert "transcripts-0-DELETE" not in html
