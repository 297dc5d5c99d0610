"""The chat page's scripts draw no message: with `render=html` the API adds each message's HTML
as `templates/chat/_message.html` draws it for the reader (`chat.page.add_message_html`).
Every other client gets the seed's shape as before."""

import json
import uuid
from datetime import datetime
from http import HTTPStatus
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from chat.api import etag_of
from chat.models import Message
from chat.selectors import chat_messages
from chat.services import access_chat
from chat.shapes import chat_page_json, message_in_chat
from tenancy.models import Clinic
from tests.attachments import files
from tests.chat.conftest import URL, post
from tests.factories import upload_attachment

pytestmark = pytest.mark.django_db

HTML = {"render": "html"}
SEED_PAGE_KEYS = {
    "messages",
    "changed",
    "appointment",
    "lastSeq",
    "rev",
    "hasMore",
    "otherLastReadSeq",
    "otherReaderName",
}


def page_html(client, appointment) -> str:
    return client.get(reverse("appointment_detail", args=[appointment.pk])).text


def squeeze(html: str) -> str:
    return " ".join(html.split())


# Other clients: the answer they had -----------------------------------------------------------


def test_without_render_the_messages_get_answers_exactly_the_old_shape(
    client_for, appointment, parent, vet, send
):
    send(vet, "How is Biscuit today?")
    send(
        vet,
        "",
        message_type="prescription",
        payload={"medication": "Meloxicam", "dose": "0.1 mg/kg"},
    )
    client = client_for(parent)
    query = {"appointmentId": str(appointment.pk), "markRead": "false"}

    response = client.get(URL, query)

    chat = access_chat(user=parent, appointment_id=appointment.pk)
    expected = chat_page_json(chat, parent, chat_messages(chat, limit=50), [])
    assert response.json() == json.loads(json.dumps(expected))
    assert set(response.json()) == SEED_PAGE_KEYS
    for message in response.json()["messages"]:
        assert "html" not in message and "dayHtml" not in message
    assert response["ETag"] == etag_of(chat, None, None, 50, None)


def test_without_render_the_writes_answer_exactly_the_old_shape(
    client_for, appointment, parent, vet, send
):
    client = client_for(parent)
    sent = post(client, {"appointmentId": str(appointment.pk), "content": "Typo hree"}).json()
    assert set(sent) == {"message", "success"}
    edited = client.patch(
        f"{URL}/{sent['message']['_id']}", {"content": "Typo here"}, content_type="application/json"
    ).json()
    prescription = send(vet, "", message_type="prescription", payload={"medication": "Otomax"})
    acknowledged = client.post(f"{URL}/{prescription.id}/acknowledgement").json()

    chat = access_chat(user=parent, appointment_id=appointment.pk)
    rows = {row.id: row for row in chat_messages(chat, limit=50).rows}
    for answer in (edited, acknowledged):
        assert set(answer) == {"message"}
        row = rows[uuid.UUID(answer["message"]["_id"])]
        assert answer["message"] == json.loads(json.dumps(message_in_chat(row, chat)))
    for answer in (sent, edited, acknowledged):
        assert "html" not in answer["message"] and "dayHtml" not in answer["message"]


# The page's scripts: the server's drawing -----------------------------------------------------


def test_each_message_comes_with_the_html_the_page_draws(
    client_for, appointment, parent, vet, send, tmp_path
):
    # given a chat with every kind of message, seen by the parent
    send(parent, "Biscuit is limping & won't eat <much>")
    send(vet, "", message_type="assessment", payload={"diagnosis": "Sprain"})
    rx = send(vet, "With food.", message_type="prescription", payload={"medication": "Meloxicam"})
    send(vet, "", message_type="prescription", payload={"medication": "Metacam"}, amends=rx.id)
    for kind, name, content in [
        ("image", "x-ray.png", files.image_bytes("PNG", size=(600, 400))),
        ("video", "walk.mp4", files.video(tmp_path, location=False)),
        ("file", "report.pdf", files.pdf_document()),
    ]:
        attachment = upload_attachment(vet, appointment, content, name)
        send(vet, "", message_type=kind, attachments=[attachment])
    client = client_for(parent)

    # when the page's scripts ask for the messages' HTML
    answer = client.get(URL, {"appointmentId": str(appointment.pk), **HTML}).json()

    # then each message is exactly as the page (drawn by the server, no scripts) shows it
    served = squeeze(page_html(client, appointment))
    assert len(answer["messages"]) == 7
    for message in answer["messages"]:
        assert f'id="m-{message["_id"]}"' in message["html"]
        assert squeeze(message["html"]) in served
        assert squeeze(message["dayHtml"]) in served
    html = "".join(message["html"] for message in answer["messages"])
    assert "limping &amp; won&#x27;t eat &lt;much&gt;" in html  # escaped by Django
    assert "<much>" not in html
    for kind in ("image", "video", "file"):
        assert f"attachment-{kind}" in html
    assert "I have read and understood this prescription" in html  # the parent's button
    assert f"amended by #{rx.seq + 1}" in html
    assert answer["readReceiptHtml"].strip() == '<span class="receipt read">Read</span>'


def test_the_vets_html_offers_amending_and_the_receipt_names_the_reader(
    client_for, appointment, parent, vet, send
):
    send(vet, "", message_type="prescription", payload={"medication": "Otomax"})
    client_for(parent).get(URL, {"appointmentId": str(appointment.pk)})  # the parent reads it

    answer = client_for(vet).get(URL, {"appointmentId": str(appointment.pk), **HTML}).json()

    [message] = answer["messages"]
    assert "?amend=" in message["html"]
    assert f'<span class="receipt read">Read by {parent.display_name}</span>' in message["html"]
    assert answer["readReceiptHtml"].strip() == (
        f'<span class="receipt read">Read by {parent.display_name}</span>'
    )


def test_changed_messages_come_with_their_html_as_they_now_stand(
    client_for, appointment, parent, vet, send
):
    typo = send(vet, "Gvie it twice")
    client = client_for(parent)
    first = client.get(URL, {"appointmentId": str(appointment.pk), **HTML}).json()
    vet_client = client_for(vet)
    vet_client.patch(f"{URL}/{typo.id}", {"content": "Give it twice"}, "application/json")

    query = {"appointmentId": str(appointment.pk), "after": typo.seq, "rev": first["rev"]}
    answer = client.get(URL, {**query, **HTML}).json()

    [changed] = answer["changed"]
    assert "Give it twice" in changed["html"] and "edited" in changed["html"]
    assert squeeze(changed["html"]) in squeeze(page_html(client, appointment))


def test_the_writes_answer_with_the_html_when_asked(client_for, appointment, parent, vet, send):
    client = client_for(parent)
    sent = client.post(
        f"{URL}?render=html",
        {"appointmentId": str(appointment.pk), "content": "Thnaks"},
        content_type="application/json",
    ).json()["message"]
    edited = client.patch(
        f"{URL}/{sent['_id']}?render=html", {"content": "Thanks"}, content_type="application/json"
    ).json()["message"]
    prescription = send(vet, "", message_type="prescription", payload={"medication": "Otomax"})
    acknowledged = client.post(f"{URL}/{prescription.id}/acknowledgement?render=html").json()[
        "message"
    ]

    assert "Thnaks" in sent["html"] and '<span class="receipt">Sent</span>' in sent["html"]
    assert "Thanks" in edited["html"] and "edited" in edited["html"]
    assert "Read and understood by" in acknowledged["html"]
    served = squeeze(page_html(client, appointment))
    for message in (edited, acknowledged):
        assert squeeze(message["html"]) in served


def test_a_day_separator_goes_by_the_clinics_midnight(client_for, appointment, parent, vet, send):
    Clinic.objects.filter(pk=appointment.clinic_id).update(time_zone="Pacific/Auckland")
    clinic = ZoneInfo("Pacific/Auckland")
    late = send(vet, "Late at night")
    early = send(vet, "Early next morning")
    for row, moment in [
        (late, datetime(2025, 3, 3, 23, 50, tzinfo=clinic)),
        (early, datetime(2025, 3, 4, 0, 10, tzinfo=clinic)),
    ]:
        Message.objects.filter(pk=row.id).update(created_at=moment)

    answer = client_for(parent).get(URL, {"appointmentId": str(appointment.pk), **HTML}).json()

    late_html, early_html = answer["messages"]
    assert 'data-day="2025-03-03"' in late_html["html"] and "23:50" in late_html["html"]
    assert 'data-day="2025-03-04"' in early_html["html"] and "00:10" in early_html["html"]
    assert "Monday 3 March 2025" in late_html["dayHtml"]
    assert "Tuesday 4 March 2025" in early_html["dayHtml"]


def test_the_html_has_its_own_etag_and_its_own_304(client_for, appointment, parent, vet, send):
    send(vet, "first")
    client = client_for(parent)
    query = {"appointmentId": str(appointment.pk), "after": 1}
    plain = client.get(URL, query)["ETag"]
    drawn = client.get(URL, {**query, **HTML})["ETag"]
    assert drawn != plain

    # each 304s on its own ETag only
    assert client.get(URL, query, headers={"If-None-Match": plain}).status_code == 304
    with_html = client.get(URL, {**query, **HTML}, headers={"If-None-Match": drawn})
    assert with_html.status_code == HTTPStatus.NOT_MODIFIED
    mixed = client.get(URL, {**query, **HTML}, headers={"If-None-Match": plain})
    assert mixed.status_code == HTTPStatus.OK


def test_an_unknown_render_is_refused(client_for, appointment, parent):
    client = client_for(parent)
    query = {"appointmentId": str(appointment.pk), "render": "pdf"}
    response = client.get(URL, query)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"]["fields"] == {"render": "Use html, or leave it out."}
    refused = client.post(
        f"{URL}?render=pdf",
        {"appointmentId": str(appointment.pk), "content": "hi"},
        content_type="application/json",
    )
    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert not Message.objects.exists()


# Access: the same check as ever ----------------------------------------------------------------


def test_someone_elses_chat_is_not_found_with_html_either(
    client_for, appointment, other_parent, vet, send
):
    message = send(vet, "Private medical detail")
    client = client_for(other_parent)

    asked = [
        client.get(URL, {"appointmentId": str(appointment.pk), **HTML}),
        client.post(
            f"{URL}?render=html",
            {"appointmentId": str(appointment.pk), "content": "hi"},
            content_type="application/json",
        ),
        client.patch(f"{URL}/{message.id}?render=html", {"content": "x"}, "application/json"),
        client.post(f"{URL}/{message.id}/acknowledgement?render=html"),
    ]

    assert [response.status_code for response in asked] == [HTTPStatus.NOT_FOUND] * 4
    assert all("Private medical detail" not in response.text for response in asked)


def test_staff_may_not_read_the_chat_through_the_html(client_for, appointment, staff, vet, send):
    send(vet, "Private medical detail")
    response = client_for(staff).get(URL, {"appointmentId": str(appointment.pk), **HTML})
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert "Private medical detail" not in response.text


def test_signed_out_the_html_is_refused(client, appointment, vet, send):
    send(vet, "Private medical detail")
    response = client.get(URL, {"appointmentId": str(appointment.pk), **HTML})
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert "Private medical detail" not in response.text
