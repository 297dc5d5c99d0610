"""The chat as part of the medical record: corrected, retracted, amended and acknowledged,
never silently changed, and closed when the follow-up window ends."""

from datetime import timedelta
from http import HTTPStatus
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from chat.models import Chat, Message, MessageRevision
from tests.chat.conftest import URL, post
from tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db


def change(client, message_id, body: dict):
    return client.patch(f"{URL}/{message_id}", body, content_type="application/json")


def acknowledge(client, message_id):
    return client.post(f"{URL}/{message_id}/acknowledgement")


def poll(client, appointment, **query):
    response = client.get(URL, {"appointmentId": str(appointment.pk), **query})
    assert response.status_code == HTTPStatus.OK, response.content
    return response.json()


def test_the_sender_corrects_a_message_and_every_version_is_kept(
    client_for, appointment, parent, vet, send
):
    # given a message the vet has already seen
    sent = send(parent, "Rex ate a grape")
    vet_client = client_for(vet)
    seen = poll(vet_client, appointment)
    # when the parent corrects it
    response = change(client_for(parent), sent.id, {"content": "Rex ate three grapes"})
    # then participants see the new text marked edited, and the record keeps the old one
    assert response.status_code == HTTPStatus.OK, response.content
    message = response.json()["message"]
    assert message["content"] == "Rex ate three grapes"
    assert message["editedAt"] is not None
    assert message["updatedAt"] > seen["messages"][0]["updatedAt"]
    (revision,) = MessageRevision.objects.all()
    assert (revision.change, revision.content, revision.changed_by) == (
        "edited",
        "Rex ate a grape",
        parent,
    )
    # and the vet's next poll brings the change, by rev, without reloading
    later = poll(vet_client, appointment, after=seen["lastSeq"], rev=seen["rev"])
    assert later["messages"] == []
    assert [m["content"] for m in later["changed"]] == ["Rex ate three grapes"]
    assert later["rev"] > seen["rev"]
    assert poll(vet_client, appointment, after=later["lastSeq"], rev=later["rev"])["changed"] == []


def test_a_poll_with_an_old_rev_is_not_answered_304(client_for, appointment, parent, vet, send):
    sent = send(parent, "typo hre")
    client = client_for(vet)
    body = poll(client, appointment)
    query = {"appointmentId": str(appointment.pk), "after": body["lastSeq"], "rev": body["rev"]}
    etag = client.get(URL, query)["ETag"]
    change(client_for(parent), sent.id, {"content": "typo here"})
    again = client.get(URL, query, headers={"If-None-Match": etag})
    assert again.status_code == HTTPStatus.OK
    assert again.json()["changed"][0]["content"] == "typo here"


@pytest.mark.parametrize(
    ("who", "status", "code"),
    [
        ("vet", HTTPStatus.FORBIDDEN, "not_the_sender"),
        ("other_parent", HTTPStatus.NOT_FOUND, "not_found"),
        ("staff", HTTPStatus.FORBIDDEN, "forbidden"),
    ],
)
def test_only_the_sender_may_change_a_message(
    request, client_for, appointment, parent, send, who, status, code
):
    sent = send(parent, "mine")
    client = client_for(request.getfixturevalue(who))
    for body in ({"content": "theirs"}, {"retracted": True}):
        response = change(client, sent.id, body)
        assert response.status_code == status
        assert response.json()["error"]["code"] == code
    assert Message.objects.get().content == "mine"
    assert not MessageRevision.objects.exists()


def test_a_message_can_be_changed_only_within_the_window(client_for, appointment, parent, send):
    sent = send(parent, "old news")
    Message.objects.update(created_at=timezone.now() - timedelta(minutes=16))
    client = client_for(parent)
    for body in ({"content": "new news"}, {"retracted": True}):
        response = change(client, sent.id, body)
        assert response.status_code == HTTPStatus.CONFLICT
        assert "15 minutes" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    "body",
    [{}, {"content": "x", "retracted": True}, {"retracted": False}, {"content": "   "}],
)
def test_a_change_must_say_what_it_is(client_for, appointment, parent, send, body):
    sent = send(parent, "as sent")
    response = change(client_for(parent), sent.id, body)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "content" in response.json()["error"]["fields"]
    assert Message.objects.get().content == "as sent"


def test_an_unknown_message_is_404(client_for, parent):
    response = change(client_for(parent), "00000000-0000-4000-8000-000000000000", {"content": "x"})
    assert response.status_code == HTTPStatus.NOT_FOUND


def test_a_retracted_message_is_removed_for_participants_but_kept_for_the_record(
    client_for, appointment, parent, vet, send
):
    sent = send(parent, "Our address is 12 Elm Street")
    response = change(client_for(parent), sent.id, {"retracted": True})
    assert response.status_code == HTTPStatus.OK
    shown = poll(client_for(vet), appointment)["messages"][0]
    assert shown["content"] == "" and shown["retractedAt"] is not None
    assert "Elm Street" not in str(poll(client_for(vet), appointment))
    assert Message.objects.get().content == "Our address is 12 Elm Street"
    assert MessageRevision.objects.get().change == "retracted"
    again = change(client_for(parent), sent.id, {"retracted": True})
    assert again.status_code == HTTPStatus.CONFLICT
    page = client_for(vet).get(f"/appointments/{appointment.pk}/").text
    assert "Message removed" in page and "Elm Street" not in page


def test_prescriptions_are_amended_not_edited(client_for, appointment, parent, vet, send):
    first = send(vet, "", message_type="prescription", payload={"medication": "Meloxicam 1 mg"})
    vet_client = client_for(vet)
    refused = change(vet_client, first.id, {"content": "Meloxicam 0.5 mg"})
    assert refused.status_code == HTTPStatus.CONFLICT
    assert "amended prescription" in refused.json()["error"]["message"]

    body = {
        "appointmentId": str(appointment.pk),
        "messageType": "prescription",
        "payload": {"medication": "Meloxicam 0.5 mg"},
        "amends": str(first.id),
    }
    response = post(vet_client, body)
    assert response.status_code == HTTPStatus.CREATED, response.content
    assert response.json()["message"]["amends"] == {"_id": str(first.id), "seq": first.seq}
    page = client_for(parent).get(f"/appointments/{appointment.pk}/").text
    assert f"amends #{first.seq}" in page

    text = send(vet, "just text")
    wrong = post(vet_client, {**body, "amends": str(text.id)})
    assert wrong.status_code == HTTPStatus.BAD_REQUEST
    assert "amends" in wrong.json()["error"]["fields"]
    elsewhere = post(vet_client, {**body, "amends": "00000000-0000-4000-8000-000000000000"})
    assert elsewhere.status_code == HTTPStatus.NOT_FOUND


def test_a_vet_amends_a_prescription_from_the_page_without_scripts(
    client_for, appointment, parent, vet, send
):
    first = send(
        vet, "Twice a day", message_type="prescription", payload={"medication": "Meloxicam 1 mg"}
    )
    vet_client = client_for(vet)
    page = vet_client.get(f"/appointments/{appointment.pk}/").text
    amend_url = f"/appointments/{appointment.pk}/?amend={first.id}#composer-text"
    assert f'href="{amend_url}"' in page
    parent_page = client_for(parent).get(f"/appointments/{appointment.pk}/").text
    assert f"?amend={first.id}" not in parent_page

    # The link opens the composer on a copy of the prescription, saying what it amends.
    opened = vet_client.get(f"/appointments/{appointment.pk}/?amend={first.id}").text
    assert f'<input type="hidden" name="amends" value="{first.id}">' in opened
    assert f'Amending prescription <a href="#m-{first.id}">#{first.seq}</a>' in opened
    assert 'value="Meloxicam 1 mg"' in opened
    assert ">Twice a day</textarea>" in opened

    posted = vet_client.post(
        f"/appointments/{appointment.pk}/messages/",
        {
            "content": "Once a day",
            "messageType": "prescription",
            "prescription-medication": "Meloxicam 0.5 mg",
            "amends": str(first.id),
        },
    )
    assert posted.status_code == HTTPStatus.FOUND
    amendment = Message.objects.get(amends_id=first.id)
    assert amendment.content == "Once a day"
    assert amendment.payload["medication"] == "Meloxicam 0.5 mg"

    # Both sides see which amends which, on both messages.
    for user in (parent, vet):
        shown = client_for(user).get(f"/appointments/{appointment.pk}/").text
        assert f"amends #{first.seq}" in shown
        assert f"amended by #{amendment.seq}" in shown


def test_an_amendment_refused_from_the_page_keeps_what_was_typed(
    client_for, appointment, vet, send
):
    first = send(vet, "", message_type="prescription", payload={"medication": "Meloxicam 1 mg"})
    vet_client = client_for(vet)
    refused = vet_client.post(
        f"/appointments/{appointment.pk}/messages/",
        {
            "content": "Half the dose",
            "messageType": "assessment",
            "assessment-diagnosis": "Better",
            "amends": str(first.id),
        },
    )
    assert refused.status_code == HTTPStatus.BAD_REQUEST
    page = refused.text
    assert "Only a prescription can amend a prescription." in page
    assert f'name="amends" value="{first.id}"' in page
    assert ">Half the dose</textarea>" in page
    assert not Message.objects.filter(amends_id=first.id).exists()


def test_only_a_standing_assessment_or_prescription_opens_to_be_amended(
    client_for, appointment, parent, vet, send
):
    text = send(vet, "just text")
    rx = send(vet, "", message_type="prescription", payload={"medication": "Otomax"})
    Message.objects.filter(pk=rx.id).update(retracted_at=timezone.now())
    for message_id in (text.id, rx.id, "not-an-id"):
        page = client_for(vet).get(f"/appointments/{appointment.pk}/?amend={message_id}").text
        assert 'name="amends"' not in page
    # A pet parent is never offered to amend, even by the link.
    live = send(vet, "", message_type="prescription", payload={"medication": "Otomax"})
    page = client_for(parent).get(f"/appointments/{appointment.pk}/?amend={live.id}").text
    assert 'name="amends"' not in page


def test_the_pet_parent_acknowledges_a_prescription_once(
    client_for, appointment, parent, vet, send
):
    rx = send(vet, "", message_type="prescription", payload={"medication": "Otomax"})
    assert acknowledge(client_for(vet), rx.id).status_code == HTTPStatus.FORBIDDEN
    response = acknowledge(client_for(parent), rx.id)
    assert response.status_code == HTTPStatus.OK
    message = response.json()["message"]
    assert message["acknowledgedAt"] is not None
    assert message["acknowledgedBy"] == "Alex Morgan"
    again = acknowledge(client_for(parent), rx.id).json()["message"]
    assert again["acknowledgedAt"] == message["acknowledgedAt"]
    seen_by_vet = poll(client_for(vet), appointment)["messages"][0]
    assert seen_by_vet["acknowledgedBy"] == "Alex Morgan"
    text = send(vet, "not a prescription")
    assert acknowledge(client_for(parent), text.id).status_code == HTTPStatus.CONFLICT


def test_the_plain_page_acknowledges_too(client_for, appointment, parent, vet, send):
    rx = send(vet, "", message_type="prescription", payload={"medication": "Otomax"})
    client = client_for(parent)
    page = client.get(f"/appointments/{appointment.pk}/").text
    assert "I have read and understood this prescription" in page
    response = client.post(f"/appointments/{appointment.pk}/messages/{rx.id}/acknowledgement/")
    assert response.status_code == HTTPStatus.FOUND
    page = client.get(f"/appointments/{appointment.pk}/").text
    assert "Read and understood by Alex Morgan" in page


def completed(parent, vet, ended_days_ago: float):
    return AppointmentFactory(
        pet__owner=parent,
        veterinarian=vet,
        status="completed",
        starts_at=timezone.now() - timedelta(days=ended_days_ago, minutes=30),
    )


def test_a_completed_appointment_takes_follow_up_questions_for_a_week(client_for, parent, vet):
    recent = completed(parent, vet, ended_days_ago=2)
    page = client_for(parent).get(f"/appointments/{recent.pk}/").text
    assert "stays open for follow-up questions until" in page
    assert (
        post(
            client_for(parent), {"appointmentId": str(recent.pk), "content": "One more"}
        ).status_code
        == HTTPStatus.CREATED
    )

    old = completed(parent, vet, ended_days_ago=8)
    response = post(client_for(parent), {"appointmentId": str(old.pk), "content": "Too late?"})
    assert response.status_code == HTTPStatus.CONFLICT
    assert "follow-up window" in response.json()["error"]["message"]
    page = client_for(parent).get(f"/appointments/{old.pk}/").text
    assert "follow-up window of this appointment closed" in page
    assert 'class="composer"' not in page


def test_staff_may_reopen_a_closed_chat(client_for, parent, vet):
    old = completed(parent, vet, ended_days_ago=30)
    chat = Chat.objects.create(appointment=old, clinic_id=old.clinic_id)
    Chat.objects.filter(pk=chat.pk).update(reopened_until=timezone.now() + timedelta(days=2))
    response = post(client_for(parent), {"appointmentId": str(old.pk), "content": "Thanks!"})
    assert response.status_code == HTTPStatus.CREATED


def test_edits_leave_the_hash_chain_intact(client_for, appointment, parent, send):
    sent = send(parent, "as sent")
    change(client_for(parent), sent.id, {"content": "as corrected"})
    send(parent, "and then")
    out = StringIO()
    call_command("verify_chat_integrity", stdout=out)
    assert "every chain intact" in out.getvalue()


def test_revisions_cannot_be_rewritten(client_for, appointment, parent, send):
    sent = send(parent, "as sent")
    change(client_for(parent), sent.id, {"content": "as corrected"})
    for sql in (
        "UPDATE chat_messagerevision SET content = 'x'",
        "DELETE FROM chat_messagerevision",
    ):
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    assert MessageRevision.objects.get().content == "as sent"
