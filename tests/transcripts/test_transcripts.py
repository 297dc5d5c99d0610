"""The transcript of an appointment's chat, as PDF and JSON: what it holds, who may have it, and
what each reader sees of edits and removals."""

import io
from http import HTTPStatus

import pypdf
import pytest
from django.utils import timezone

from audit.models import AuditEvent
from chat.models import Chat
from chat.services import access_chat, message_edit, message_retract, prescription_acknowledge
from tenancy.models import Clinic
from tests.attachments import files
from tests.factories import AppointmentFactory, send_message, upload_attachment
from tests.transcripts.conftest import one_line, pdf_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def chat(appointment, parent, vet):
    """A chat with every kind of mark a transcript shows."""
    Clinic.objects.filter(pk=appointment.clinic_id).update(name="Riverside Vets")
    appointment.reason = "Scratching his left ear"
    appointment.save()
    as_parent = access_chat(user=parent, appointment_id=appointment.pk)
    sent = {}
    sent["ear"] = send_message(parent, appointment, "Rex has been scratching his ear since Monday.")
    sent["assessment"] = send_message(
        vet,
        appointment,
        "",
        message_type="assessment",
        payload={"findings": "Red ear canal", "diagnosis": "Otitis externa", "plan": "Drops"},
    )
    sent["first_rx"] = send_message(
        vet, appointment, "", message_type="prescription", payload={"medication": "Otomax"}
    )
    sent["amended_rx"] = send_message(
        vet,
        appointment,
        "Twice a day, please.",
        message_type="prescription",
        payload={"medication": "Otomax", "dose": "2 drops", "frequency": "Twice daily"},
        amends=sent["first_rx"].id,
    )
    prescription_acknowledge(chat=as_parent, user=parent, message_id=sent["amended_rx"].id)
    sent["photo"] = send_message(
        parent,
        appointment,
        "",
        message_type="image",
        attachments=[upload_attachment(parent, appointment, files.image_bytes("JPEG"), "ear.jpg")],
    )
    sent["typo"] = send_message(parent, appointment, "Thnaks doctor")
    message_edit(chat=as_parent, user=parent, message_id=sent["typo"].id, content="Thanks doctor")
    sent["secret"] = send_message(parent, appointment, "Our door code is 4512")
    message_retract(chat=as_parent, user=parent, message_id=sent["secret"].id)
    return sent


def get_pdf(client, appointment) -> str:
    response = client.get(f"/appointments/{appointment.pk}/transcript.pdf")
    assert response.status_code == HTTPStatus.OK, response.content[:500]
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    return one_line(
        pdf_text(b"".join(response.streaming_content) if response.streaming else response.content)
    )


def test_the_pdf_holds_the_appointment_every_message_and_the_chain_head(
    client_for, appointment, parent, vet, chat
):
    text = get_pdf(client_for(parent), appointment)
    for expected in [
        "Riverside Vets",
        appointment.pet.name,
        "Alex Morgan",
        "Dr. Jane Foster",
        "Scratching his left ear",
        "Scheduled",
        "Rex has been scratching his ear since Monday.",
        "Otitis externa",
        "Red ear canal",
        "Medication Otomax",
        "Dose 2 drops",
        "amends #3",
        "amended by #4",
        "Read and understood by Alex Morgan",
        "ear.jpg",
        "image/jpeg, ",
        "Thanks doctor",
        "Edited",
        "Message removed",
        "verify_chat_integrity --appointment",
    ]:
        assert expected in text, expected
    head = Chat.objects.get(appointment=appointment).last_hash
    assert len(head) == 64 and head in text.replace(" ", "")
    # the clinic's time zone: the first message's minute as the clinic writes it
    first = timezone.localtime(chat["ear"].created_at).strftime("%H:%M")
    assert f"#1 {timezone.localtime(chat['ear'].created_at):%-d %b %Y} {first}" in text


def test_participants_see_edits_and_removals_marked_but_not_what_was_there(
    client_for, appointment, vet, chat
):
    text = get_pdf(client_for(vet), appointment)
    assert "Thanks doctor" in text and "Edited" in text
    assert "Thnaks" not in text
    assert "4512" not in text and "Message removed" in text
    assert "Earlier versions" not in text


def test_staff_see_every_version_and_what_was_removed(client_for, appointment, staff, chat):
    text = get_pdf(client_for(staff), appointment)
    assert "Clinic record: every version of every message" in text
    assert "Earlier versions" in text
    assert "Before it was edited by Alex Morgan" in text and "Thnaks doctor" in text
    assert "Our door code is 4512" in text
    assert "Removed by its sender" in text


def test_json_has_the_documented_shape(client_for, appointment, parent, chat):
    response = client_for(parent).get(f"/appointments/{appointment.pk}/transcript.json")
    assert response.status_code == HTTPStatus.OK
    body = response.json()
    assert set(body) == {
        "version",
        "clinic",
        "audience",
        "timeZone",
        "generatedAt",
        "appointment",
        "integrity",
        "messages",
    }
    assert body["version"] == 1
    assert body["clinic"] == "Riverside Vets"
    assert body["audience"] == "participants"
    assert body["appointment"] == {
        "id": str(appointment.pk),
        "petName": appointment.pet.name,
        "petSpecies": "Dog",
        "petBreed": "Mixed",
        "petParentName": "Alex Morgan",
        "veterinarianName": "Dr. Jane Foster",
        "startsAt": timezone.localtime(appointment.starts_at).isoformat(timespec="seconds"),
        "endsAt": timezone.localtime(appointment.ends_at).isoformat(timespec="seconds"),
        "reason": "Scratching his left ear",
        "status": "scheduled",
    }
    chat_row = Chat.objects.get(appointment=appointment)
    assert body["integrity"]["lastSeq"] == 7
    assert body["integrity"]["chainHead"] == chat_row.last_hash
    assert "verify_chat_integrity" in body["integrity"]["verify"]
    messages = body["messages"]
    assert [m["seq"] for m in messages] == list(range(1, 8))
    assert set(messages[0]) == {
        "_id",
        "seq",
        "sentAt",
        "senderId",
        "senderName",
        "senderRole",
        "senderSide",
        "messageType",
        "content",
        "fields",
        "attachments",
        "editedAt",
        "removedAt",
        "removed",
        "amends",
        "amendedBy",
        "acknowledgement",
        "history",
    }
    assert messages[0]["senderRole"] == "pet_parent" and messages[1]["senderRole"] == "veterinarian"
    assert messages[1]["fields"] == [
        {"name": "findings", "label": "Findings", "value": "Red ear canal"},
        {"name": "diagnosis", "label": "Diagnosis", "value": "Otitis externa"},
        {"name": "plan", "label": "Plan", "value": "Drops"},
    ]
    assert messages[2]["amendedBy"] == [4] and messages[3]["amends"] == 3
    assert messages[3]["acknowledgement"]["by"] == "Alex Morgan"
    (photo,) = messages[4]["attachments"]
    assert (photo["name"], photo["contentType"]) == ("ear.jpg", "image/jpeg")
    assert photo["size"] > 0 and photo["url"].startswith("/api/appointment-chat/attachments/")
    assert messages[5]["content"] == "Thanks doctor" and messages[5]["editedAt"]
    assert messages[5]["history"] == []
    removed = messages[6]
    assert removed["removed"] is True and removed["removedAt"]
    assert removed["content"] == "" and removed["fields"] == [] and removed["attachments"] == []


def test_json_for_staff_carries_the_history(client_for, appointment, staff, chat):
    body = client_for(staff).get(f"/appointments/{appointment.pk}/transcript.json").json()
    assert body["audience"] == "staff"
    edited, removed = body["messages"][5], body["messages"][6]
    assert [(v["change"], v["content"], v["changedBy"]) for v in edited["history"]] == [
        ("edited", "Thnaks doctor", "Alex Morgan")
    ]
    assert removed["removed"] is False and removed["content"] == "Our door code is 4512"
    assert removed["removedAt"] and removed["history"][0]["change"] == "retracted"


def test_the_pdf_embeds_the_thumbnail_of_each_photo_it_lists(client_for, appointment, parent, vet):
    big = files.image_bytes("JPEG", size=(1600, 1200), color="green")
    photo = upload_attachment(parent, appointment, big, "wound.jpg")
    send_message(parent, appointment, "", message_type="image", attachments=[photo])
    send_message(
        parent,
        appointment,
        "",
        message_type="file",
        attachments=[upload_attachment(parent, appointment, files.pdf_document(), "bloods.pdf")],
    )
    response = client_for(vet).get(f"/appointments/{appointment.pk}/transcript.pdf")
    assert response.status_code == HTTPStatus.OK
    reader = pypdf.PdfReader(io.BytesIO(response.content))

    pictures = [image.image for page in reader.pages for image in page.images]

    # the photo's stored 320 px thumbnail, not the photo itself; the document has none
    assert [picture.size for picture in pictures] == [(320, 240)]
    red, green, blue = pictures[0].convert("RGB").getpixel((160, 120))
    assert green > 100 and red < 60 and blue < 60


def test_an_appointment_without_a_chat_has_an_empty_transcript(client_for, appointment, parent):
    body = client_for(parent).get(f"/appointments/{appointment.pk}/transcript.json").json()
    assert body["messages"] == [] and body["integrity"]["lastSeq"] == 0
    assert "No messages were written" in get_pdf(client_for(parent), appointment)


@pytest.mark.parametrize("count", [5, 60])
def test_the_transcript_reads_in_a_fixed_number_of_queries(
    client_for, appointment, parent, vet, staff, django_assert_max_num_queries, count
):
    for n in range(count):
        send_message(parent if n % 2 else vet, appointment, f"message {n}")
    client = client_for(staff)
    # session and user, appointment, chat, messages, revisions
    with django_assert_max_num_queries(7):
        response = client.get(f"/appointments/{appointment.pk}/transcript.json")
    assert len(response.json()["messages"]) == count


# (who, expected status) for both formats; None is someone not signed in.
ACCESS = [
    ("parent", HTTPStatus.OK),
    ("vet", HTTPStatus.OK),
    ("staff", HTTPStatus.OK),
    ("other_parent", HTTPStatus.NOT_FOUND),
    ("other_vet", HTTPStatus.NOT_FOUND),
]


@pytest.mark.parametrize("fmt", ["pdf", "json"])
@pytest.mark.parametrize(("who", "status"), ACCESS)
def test_who_may_have_the_transcript(request, client_for, appointment, who, status, fmt):
    client = client_for(request.getfixturevalue(who))
    response = client.get(f"/appointments/{appointment.pk}/transcript.{fmt}")
    assert response.status_code == status
    if fmt == "json" and status == HTTPStatus.NOT_FOUND:
        assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("fmt", ["pdf", "json"])
def test_an_outsider_gets_the_same_answer_as_for_an_unknown_appointment(
    client_for, other_parent, appointment, fmt
):
    client = client_for(other_parent)
    unknown = AppointmentFactory.build().pk
    theirs = client.get(f"/appointments/{appointment.pk}/transcript.{fmt}")
    none = client.get(f"/appointments/{unknown}/transcript.{fmt}")
    assert theirs.status_code == none.status_code == HTTPStatus.NOT_FOUND
    if fmt == "json":
        assert theirs.content == none.content
    else:
        assert b"Page not found" in theirs.content and b"Page not found" in none.content


def test_someone_not_signed_in_is_sent_to_sign_in_for_the_pdf(client, appointment):
    response = client.get(f"/appointments/{appointment.pk}/transcript.pdf")
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith("/accounts/login/")


def test_someone_not_signed_in_gets_a_json_401(client, appointment):
    response = client.get(f"/appointments/{appointment.pk}/transcript.json")
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["error"]["code"] == "not_authenticated"


@pytest.mark.parametrize("fmt", ["pdf", "json"])
def test_only_reading_is_allowed(client_for, parent, appointment, fmt):
    response = client_for(parent).post(f"/appointments/{appointment.pk}/transcript.{fmt}")
    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED


def test_each_export_is_recorded_in_the_audit_trail(client_for, appointment, parent, staff):
    client_for(staff).get(f"/appointments/{appointment.pk}/transcript.json")
    client_for(parent).get(f"/appointments/{appointment.pk}/transcript.pdf")
    events = AuditEvent.objects.order_by("at")
    assert [(e.user, e.action, e.appointment_id, e.object_id) for e in events] == [
        (staff, "transcript.export", appointment.pk, "transcript.json"),
        (parent, "transcript.export", appointment.pk, "transcript.pdf"),
    ]


def test_a_refused_export_records_nothing(client_for, appointment, other_parent):
    client_for(other_parent).get(f"/appointments/{appointment.pk}/transcript.json")
    client_for(other_parent).get(f"/appointments/{appointment.pk}/transcript.pdf")
    assert not AuditEvent.objects.exists()
