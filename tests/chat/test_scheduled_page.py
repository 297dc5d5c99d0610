"""The chat page's "Send later" and the list of what waits to be sent, without JavaScript."""

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.utils import timezone

from chat.models import Message, ScheduledMessage
from tenancy.zones import clinic_time

pytestmark = pytest.mark.django_db


def page_of(client, appointment):
    return client.get(f"/appointments/{appointment.pk}/").content.decode()


def local(moment, appointment):
    return f"{clinic_time(moment, appointment.clinic_id):%Y-%m-%dT%H:%M}"


def test_a_vet_schedules_from_the_composer_and_sees_it_waiting(client_for, appointment, vet):
    client = client_for(vet)
    assert "Send later" in page_of(client, appointment)
    at = timezone.now() + timedelta(days=1)
    answer = client.post(
        f"/appointments/{appointment.pk}/scheduled/",
        {"content": "How is Rex this morning?", "send_at": local(at, appointment)},
    )
    assert answer.status_code == HTTPStatus.FOUND
    page = page_of(client, appointment)
    when = clinic_time(at, appointment.clinic_id)
    assert f"Scheduled for {when:%a %H:%M}" in page
    assert "How is Rex this morning?" in page
    assert not Message.objects.exists()


def test_the_family_sees_neither_send_later_nor_what_waits(client_for, appointment, vet, parent):
    client_for(vet).post(
        f"/appointments/{appointment.pk}/scheduled/",
        {
            "content": "How is Rex this morning?",
            "send_at": local(timezone.now() + timedelta(days=1), appointment),
        },
    )
    page = page_of(client_for(parent), appointment)
    assert "Send later" not in page
    assert "How is Rex this morning?" not in page
    assert "Waiting to be sent" not in page


def test_a_past_time_is_refused_beside_the_field_with_the_text_kept(client_for, appointment, vet):
    answer = client_for(vet).post(
        f"/appointments/{appointment.pk}/scheduled/",
        {
            "content": "Kept text",
            "send_at": local(timezone.now() - timedelta(hours=1), appointment),
        },
    )
    assert answer.status_code == HTTPStatus.BAD_REQUEST
    page = answer.content.decode()
    assert "Choose a time in the future." in page
    assert ">Kept text</textarea>" in page
    assert not ScheduledMessage.objects.exists()


def test_a_missing_time_is_refused(client_for, appointment, vet):
    answer = client_for(vet).post(
        f"/appointments/{appointment.pk}/scheduled/", {"content": "Hi", "send_at": ""}
    )
    assert answer.status_code == HTTPStatus.BAD_REQUEST
    assert "Choose the date and time to send it." in answer.content.decode()


def test_the_writer_edits_and_cancels_with_plain_forms(client_for, appointment, vet):
    client = client_for(vet)
    at = timezone.now() + timedelta(days=1)
    client.post(
        f"/appointments/{appointment.pk}/scheduled/",
        {"content": "First text", "send_at": local(at, appointment)},
    )
    row = ScheduledMessage.objects.get()
    base = f"/appointments/{appointment.pk}/scheduled/{row.pk}"
    later = at + timedelta(days=2)
    edited = client.post(
        f"{base}/edit/", {"content": "Second text", "send_at": local(later, appointment)}
    )
    assert edited.status_code == HTTPStatus.FOUND
    page = page_of(client, appointment)
    assert "Second text" in page
    assert f"Scheduled for {clinic_time(later, appointment.clinic_id):%a %H:%M}" in page
    refused = client.post(f"{base}/edit/", {"content": "", "send_at": local(later, appointment)})
    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert "Write a message before sending." in refused.content.decode()
    assert client.post(f"{base}/cancel/").status_code == HTTPStatus.FOUND
    assert "Nothing scheduled." in page_of(client, appointment)
    # once cancelled, sending it is refused with the reason, never an error page
    gone = client.post(f"{base}/send/")
    assert gone.status_code == HTTPStatus.CONFLICT
    assert "This message was cancelled." in gone.content.decode()


def test_a_refused_edit_keeps_what_was_typed_in_its_open_form(client_for, appointment, vet):
    client = client_for(vet)
    at = timezone.now() + timedelta(days=1)
    client.post(
        f"/appointments/{appointment.pk}/scheduled/",
        {"content": "First text", "send_at": local(at, appointment)},
    )
    row = ScheduledMessage.objects.get()
    past = timezone.now() - timedelta(hours=1)
    # when an edit is refused (a time already past)
    refused = client.post(
        f"/appointments/{appointment.pk}/scheduled/{row.pk}/edit/",
        {"content": "Rewritten, with care", "send_at": local(past, appointment)},
    )
    # then the form is open with the text and the time as typed, beside the reason
    assert refused.status_code == HTTPStatus.BAD_REQUEST
    page = refused.content.decode()
    assert '<details class="scheduled-edit" open>' in page
    assert ">Rewritten, with care</textarea>" in page
    assert f'value="{local(past, appointment)}"' in page
    assert 'role="alert"' in page
    row.refresh_from_db()
    assert row.content == "First text"
