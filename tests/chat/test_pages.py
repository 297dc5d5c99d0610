"""The chat box as the server renders it: readable before any JavaScript runs."""

from http import HTTPStatus

import pytest
from django.urls import reverse

from chat.models import Message
from tests.attachments import files
from tests.factories import AppointmentFactory, send_message, upload_attachment

pytestmark = pytest.mark.django_db


def page(client, appointment):
    return client.get(reverse("appointment_detail", args=[appointment.pk]))


def test_latest_messages_are_in_the_html_escaped(client_for, appointment, parent, vet, send):
    send(vet, "<b>Rex</b> & co: all good")
    html = page(client_for(parent), appointment).text
    assert "&lt;b&gt;Rex&lt;/b&gt; &amp; co: all good" in html
    assert "<b>Rex</b>" not in html
    assert 'id="chat-data" type="application/json"' in html
    assert "<script>" not in html  # page data travels as JSON, no inline code


def test_opening_the_page_reads_the_chat(client_for, appointment, parent, vet, send):
    mine = send(parent, "Hello?")
    page(client_for(vet), appointment)
    html = page(client_for(parent), appointment).text
    assert f'data-id="{mine.id}"' in html
    assert "Read" in html


def test_only_the_vet_is_offered_assessments_and_prescriptions(
    client_for, appointment, parent, vet
):
    assert 'value="prescription"' not in page(client_for(parent), appointment).text
    vet_html = page(client_for(vet), appointment).text
    assert 'value="prescription"' in vet_html and 'value="assessment"' in vet_html
    assert 'id="prescription-medication"' in vet_html


def test_cancelled_appointment_shows_a_read_only_chat(client_for, parent, vet):
    appointment = AppointmentFactory(pet__owner=parent, veterinarian=vet, status="cancelled")
    html = page(client_for(parent), appointment).text
    assert "read-only" in html
    assert 'class="composer"' not in html


def test_staff_see_the_appointment_but_no_chat_box(client_for, appointment, staff, send):
    send(appointment.veterinarian, "Private medical detail")
    html = page(client_for(staff), appointment).text
    assert appointment.pet.name in html
    assert "Private medical detail" not in html
    assert 'id="chat-data"' not in html
    assert "/admin/chat/chat/" in html


def test_an_empty_chat_says_how_to_start(client_for, appointment, parent):
    html = page(client_for(parent), appointment).text
    assert "No messages yet" in html


def test_the_plain_form_sends_without_javascript(client_for, appointment, parent):
    client = client_for(parent)
    url = reverse("chat_send", args=[appointment.pk])
    response = client.post(url, {"content": "Sent from a basic phone"})
    assert response.status_code == HTTPStatus.FOUND
    assert Message.objects.get().content == "Sent from a basic phone"
    assert "Sent from a basic phone" in client.get(response.url).text


def test_the_plain_form_keeps_the_draft_when_refused(client_for, appointment, parent):
    client = client_for(parent)
    url = reverse("chat_send", args=[appointment.pk])
    response = client.post(url, {"content": "x" * 10_001})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "x" * 10_001 in response.text
    assert "10000 characters" in response.text
    assert not Message.objects.exists()


def test_the_plain_form_is_refused_to_outsiders(client_for, appointment, other_parent, staff):
    url = reverse("chat_send", args=[appointment.pk])
    assert client_for(other_parent).post(url, {"content": "hi"}).status_code == 404
    assert client_for(staff).post(url, {"content": "hi"}).status_code == HTTPStatus.FORBIDDEN
    assert not Message.objects.exists()


@pytest.mark.parametrize(("who", "url"), [("parent", "/appointments/"), ("vet", "/dashboard/")])
def test_lists_show_unread_counts_with_a_fixed_number_of_queries(
    request, client_for, parent, vet, send, appointment, who, url, django_assert_num_queries
):
    send(vet, "one")
    send(vet, "two")
    send(parent, "three")
    user = request.getfixturevalue(who)
    client = client_for(user)
    expected = "2" if who == "parent" else "1"
    html = client.get(url).text
    assert f'<span class="unread-count">{expected}</span>' in html

    # user (the session comes from the cache), two for the appointments, their unread counts,
    # the navigation's unread total, and on the vet's dashboard the chats that need a reply,
    # those read and not answered, the prescriptions awaiting acknowledgement and the vet's
    # scheduled messages not sent; on the parent's list the Co-owners section: their pets,
    # those pets' co-owners and invitations, and the pets they co-own
    with django_assert_num_queries(8 if who == "parent" else 9) as few:
        client.get(url)
    AppointmentFactory.create_batch(10, pet__owner=parent, veterinarian=vet)
    with django_assert_num_queries(len(few.captured_queries)):
        client.get(url)


def test_the_plain_form_sends_a_prescription_by_the_same_rules(client_for, appointment, vet):
    url = reverse("chat_send", args=[appointment.pk])
    response = client_for(vet).post(
        url,
        {
            "messageType": "prescription",
            "content": "",
            "prescription-medication": "Meloxicam",
            "prescription-dose": "0.1 mg/kg",
        },
    )
    assert response.status_code == HTTPStatus.FOUND
    message = Message.objects.get()
    assert message.message_type == "prescription"
    assert message.payload == {"medication": "Meloxicam", "dose": "0.1 mg/kg"}
    assert message.content == "Meloxicam, 0.1 mg/kg"


def test_the_plain_form_shows_each_fields_error_and_keeps_the_draft(client_for, appointment, vet):
    # given a vet who forgot the medication
    url = reverse("chat_send", args=[appointment.pk])
    response = client_for(vet).post(
        url,
        {
            "messageType": "prescription",
            "content": "Twice a day with food",
            "prescription-dose": "5 ml",
        },
    )
    # then the page says what is missing, where, and keeps everything typed
    assert response.status_code == HTTPStatus.BAD_REQUEST
    html = response.text
    assert 'id="payload-error-prescription"' in html
    assert "medication: This field is required." in html
    assert 'aria-describedby="payload-error-prescription"' in html
    assert 'value="5 ml"' in html
    assert "Twice a day with food</textarea>" in html
    assert 'value="prescription" checked' in html
    assert not Message.objects.exists()


def test_the_plain_form_refuses_a_parents_prescription_and_keeps_the_text(
    client_for, appointment, parent
):
    url = reverse("chat_send", args=[appointment.pk])
    response = client_for(parent).post(
        url, {"messageType": "prescription", "content": "Can I have more pills?"}
    )
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert "Can I have more pills?</textarea>" in response.text
    assert "Only a veterinarian can send a prescription." in response.text
    assert not Message.objects.exists()


def test_files_are_drawn_by_their_own_type_with_their_place_kept(
    client_for, appointment, parent, tmp_path
):
    # given a photo (wider than the thumbnail box), a video and a document in one file message
    sent = [
        upload_attachment(
            parent, appointment, files.image_bytes("PNG", size=(800, 600)), "ear.png"
        ),
        upload_attachment(parent, appointment, files.video(tmp_path, location=False), "walk.mp4"),
        upload_attachment(parent, appointment, files.pdf_document(), "lab <results>.pdf"),
    ]
    send_message(parent, appointment, "", message_type="file", attachments=sent)

    html = page(client_for(parent), appointment).text

    # then the photo is a thumbnail in a 320 px box that opens the 1280 px picture
    photo, video, document = (str(attachment_id) for attachment_id in sent)
    assert f'<img class="thumb" src="/api/appointment-chat/attachments/{photo}/thumbnail"' in html
    assert 'alt="ear.png" width="320" height="240" loading="lazy"' in html
    assert f'data-view="/api/appointment-chat/attachments/{photo}/thumbnail?size=1280"' in html
    assert 'data-width="800" data-height="600"' in html
    # the video waits to be played, its poster shown
    assert (
        f'<video controls="" preload="none" src="/api/appointment-chat/attachments/{video}"'
        f' poster="/api/appointment-chat/attachments/{video}/thumbnail"'
    ) in html
    # the document is a card with its name, size and a download
    assert (
        f'href="/api/appointment-chat/attachments/{document}" download="lab &lt;results&gt;.pdf"'
    ) in html
    assert '<span class="doc-icon" aria-hidden="true">PDF</span>' in html
    assert "lab &lt;results&gt;.pdf</a>" in html


def test_the_page_says_files_need_javascript(client_for, appointment, parent):
    html = page(client_for(parent), appointment).text
    assert "<noscript>" in html and "this form sends text only" in html
    # the attach controls are shown by the chat's script, never to a page without it
    assert '<div class="attach-bar" hidden>' in html
