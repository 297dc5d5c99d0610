"""Replies by text, through Twilio's webhook: believed only when signed, handled once, posted
as the parent's message in the chat they were last texted about, or after asking which pet."""

import threading
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from appointments.models import Appointment, CoOwnership
from appointments.services import co_owner_revoke
from chat.models import Message
from sms.models import ConsentEvent, InboundText, Phone
from sms.which_pet import AMBIGUOUS_WITHIN
from tests.care_team import co_owner
from tests.factories import AppointmentFactory, PetFactory
from tests.sms.inbound_fixtures import (
    ACCOUNT_SID,
    PARENT_NUMBER,
    PATH,
    new_sid,
    phone_of,
    reply_of,
    signature,
    text_in,
    texted_about,
    texts_on,
)


@pytest.fixture(autouse=True)
def texts_enabled(settings) -> None:
    texts_on(settings)


Outcome = InboundText.Outcome


def messages_of(user) -> list[Message]:
    return list(Message.objects.filter(sender=user).select_related("chat").order_by("created_at"))


def nothing_changed() -> None:
    assert not InboundText.objects.exists()
    assert not Message.objects.exists()
    assert not ConsentEvent.objects.exists()


@pytest.fixture
def biscuit(parent, vet):
    return AppointmentFactory(pet=PetFactory(owner=parent, name="Biscuit"), veterinarian=vet)


@pytest.fixture
def mango(parent, vet):
    return AppointmentFactory(pet=PetFactory(owner=parent, name="Mango"), veterinarian=vet)


# Only Twilio's signature opens the door -------------------------------------------------------


def form(body: str = "STOP", sid: str = "SM" + "a" * 32) -> dict[str, str]:
    return {"MessageSid": sid, "AccountSid": ACCOUNT_SID, "From": PARENT_NUMBER, "Body": body}


def test_an_unsigned_text_is_refused_and_changes_nothing(parent, appointment):
    phone = phone_of(parent)
    texted_about(phone, appointment)
    for body in ("STOP", "She is eating again"):
        response = text_in(body, signed=False)
        assert response.status_code == HTTPStatus.FORBIDDEN
    nothing_changed()
    phone.refresh_from_db()
    assert phone.stopped_at is None


@pytest.mark.parametrize(
    "forged",
    [
        pytest.param(lambda p: signature(p, token="another-account-token"), id="other-token"),
        pytest.param(lambda p: signature(p, url="https://evil.test" + PATH), id="other-url"),
        pytest.param(lambda p: signature({**p, "Body": "hello"}), id="other-body"),
        pytest.param(lambda p: signature(p)[:-2] + "AA", id="mangled"),
    ],
)
def test_a_wrongly_signed_text_is_refused_and_changes_nothing(parent, appointment, forged):
    phone = phone_of(parent)
    texted_about(phone, appointment)
    params = form("STOP")
    response = Client().post(PATH, params, HTTP_X_TWILIO_SIGNATURE=forged(params))
    assert response.status_code == HTTPStatus.FORBIDDEN
    nothing_changed()
    phone.refresh_from_db()
    assert phone.texts_allowed


def test_without_a_provider_the_webhook_is_closed_even_to_a_signed_text(
    settings, parent, appointment
):
    phone = phone_of(parent)
    texted_about(phone, appointment)
    settings.VETCHAT_SMS_PROVIDER = ""
    response = text_in("She is eating again")
    assert response.status_code == HTTPStatus.FORBIDDEN
    nothing_changed()


def test_a_signed_request_without_a_message_sid_is_a_bad_request(parent):
    phone_of(parent)
    params = {"From": PARENT_NUMBER, "Body": "hello"}
    response = Client().post(PATH, params, HTTP_X_TWILIO_SIGNATURE=signature(params))
    assert response.status_code == HTTPStatus.BAD_REQUEST
    nothing_changed()


def test_the_webhook_takes_only_post():
    assert Client().get(PATH).status_code == HTTPStatus.METHOD_NOT_ALLOWED


# A reply lands in the chat --------------------------------------------------------------------


def test_a_reply_lands_in_the_chat_last_texted_about(parent, biscuit, mango):
    # given texts about Biscuit long ago and about Mango last
    phone = phone_of(parent)
    texted_about(phone, biscuit, at=timezone.now() - AMBIGUOUS_WITHIN - timedelta(hours=1))
    texted_about(phone, mango)
    sid = new_sid()
    # when the parent answers by text
    response = text_in("  She ate all her dinner  ", sid=sid)
    # then it is the parent's message in Mango's chat, and nothing is texted back
    assert response.status_code == HTTPStatus.OK
    assert reply_of(response) == ""
    [message] = messages_of(parent)
    assert message.chat.appointment_id == mango.pk
    assert (message.content, message.message_type) == ("She ate all her dinner", "text")
    assert message.client_id == f"sms:{sid}"
    row = InboundText.objects.get(provider_sid=sid)
    assert (row.outcome, row.message_id, row.appointment_id, row.user) == (
        Outcome.POSTED,
        message.pk,
        mango.pk,
        parent,
    )


def test_the_same_message_sid_twice_posts_once_and_answers_the_same(parent, appointment):
    phone = phone_of(parent)
    texted_about(phone, appointment)
    sid = new_sid()
    first = text_in("See you at 3", sid=sid)
    again = text_in("See you at 3", sid=sid)
    assert first.status_code == again.status_code == HTTPStatus.OK
    assert first.content == again.content
    assert len(messages_of(parent)) == 1
    assert InboundText.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_same_text_delivered_twice_at_once_is_posted_once(parent, appointment):
    phone = phone_of(parent)
    texted_about(phone, appointment)
    sid, start, answers = new_sid(), threading.Barrier(2), []

    def deliver() -> None:
        start.wait()
        try:
            answers.append(text_in("At the same moment", sid=sid).content)
        finally:
            connection.close()

    deliveries = [threading.Thread(target=deliver) for _ in range(2)]
    for each in deliveries:
        each.start()
    for each in deliveries:
        each.join(timeout=30)
    assert len(answers) == 2 and answers[0] == answers[1]
    assert [m.content for m in messages_of(parent)] == ["At the same moment"]
    assert InboundText.objects.count() == 1


def test_a_stop_delivered_twice_is_recorded_once(parent, appointment):
    phone = phone_of(parent)
    texted_about(phone, appointment)
    sid = new_sid()
    first, again = text_in("STOP", sid=sid), text_in("STOP", sid=sid)
    assert reply_of(first) == reply_of(again) != ""
    assert ConsentEvent.objects.count() == 1


def test_a_number_that_never_consented_posts_nothing_and_hears_nothing(parent, appointment):
    phone = phone_of(parent, consented=False)
    texted_about(phone, appointment)
    response = text_in("Hello?")
    assert reply_of(response) == ""
    assert not Message.objects.exists()
    assert InboundText.objects.get().outcome == Outcome.REFUSED


def test_a_number_that_stopped_texts_posts_nothing_and_hears_nothing(parent, appointment):
    phone = phone_of(parent)
    texted_about(phone, appointment)
    Phone.objects.filter(pk=phone.pk).update(stopped_at=timezone.now())
    assert reply_of(text_in("Hello?")) == ""
    assert not Message.objects.exists()
    assert InboundText.objects.get().detail == "texts stopped"


@pytest.mark.parametrize("sender", ["+447700900999", "12345", "not a number"])
def test_an_unknown_number_posts_nothing_and_hears_nothing(parent, appointment, sender):
    phone = phone_of(parent)
    texted_about(phone, appointment)
    response = text_in("Hello, is this the vet?", sender=sender)
    assert response.status_code == HTTPStatus.OK
    assert reply_of(response) == ""
    assert not Message.objects.exists()
    row = InboundText.objects.get()
    assert (row.outcome, row.user) == (Outcome.UNKNOWN, None)


def test_a_number_spelt_otherwise_still_finds_its_parent(parent, appointment):
    phone = phone_of(parent)
    texted_about(phone, appointment)
    text_in("Thanks", sender="+44 7700 900123")
    assert [m.content for m in messages_of(parent)] == ["Thanks"]


def test_a_removed_co_owner_gets_a_polite_reply_and_nothing_is_posted(parent, appointment):
    # given a co-owner with texts on, texted about the appointment, then removed by the owner
    appointment.clinic.phone = "020 7946 0000"
    appointment.clinic.save()
    robin = co_owner(appointment)
    phone = phone_of(robin, number="+447700900456")
    texted_about(phone, appointment)
    ownership = CoOwnership.objects.get(user=robin)
    co_owner_revoke(ownership_id=ownership.pk, by=parent)
    # when the former co-owner answers by text
    response = text_in("How is she doing?", sender="+447700900456")
    # then nothing is posted, and the reply says so with the clinic's phone
    assert not Message.objects.exists()
    reply = reply_of(response)
    assert "no longer take part" in reply
    assert "020 7946 0000" in reply
    assert InboundText.objects.get().outcome == Outcome.REFUSED


def test_a_reply_to_a_closed_chat_is_not_posted_and_says_how_to_reach_the_clinic(
    parent, appointment
):
    appointment.clinic.phone = "020 7946 0000"
    appointment.clinic.save()
    phone = phone_of(parent)
    texted_about(phone, appointment)
    Appointment.objects.filter(pk=appointment.pk).update(status=Appointment.Status.CANCELLED)
    reply = reply_of(text_in("Can we rebook?"))
    assert not Message.objects.exists()
    assert "cancelled" in reply and "020 7946 0000" in reply


def test_a_text_before_any_text_about_an_appointment_is_not_posted(parent, appointment):
    phone_of(parent)
    reply = reply_of(text_in("Hello"))
    assert not Message.objects.exists()
    assert reply.startswith("Your text was not posted")


# Which pet? -----------------------------------------------------------------------------------


def asked_about_two(parent, biscuit, mango) -> str:
    phone = phone_of(parent)
    texted_about(phone, biscuit, at=timezone.now() - timedelta(hours=5))
    texted_about(phone, mango)
    return reply_of(text_in("Is the medicine with food?"))


def test_texts_about_two_open_chats_make_the_reply_ask_which_pet(parent, biscuit, mango):
    reply = asked_about_two(parent, biscuit, mango)
    assert reply == "Which pet is this about? Reply 1 for Mango, 2 for Biscuit."
    assert not Message.objects.exists()
    row = InboundText.objects.get()
    assert row.outcome == Outcome.ASKED
    assert row.choices == [str(mango.pk), str(biscuit.pk)]


def test_the_answer_posts_the_held_text_in_the_chosen_chat(parent, biscuit, mango):
    asked_about_two(parent, biscuit, mango)
    reply = reply_of(text_in("2"))
    [message] = messages_of(parent)
    assert message.chat.appointment_id == biscuit.pk
    assert message.content == "Is the medicine with food?"  # the answer itself is not posted
    assert reply == "Thank you: your message is in the chat about Biscuit."
    held, answer = InboundText.objects.order_by("received_at")
    assert (held.outcome, held.message_id) == (Outcome.POSTED, message.pk)
    assert (answer.outcome, answer.appointment_id) == (Outcome.ANSWERED, biscuit.pk)


@pytest.mark.parametrize("answer", ["mango", " MANGO! ", "#1", "1."])
def test_a_pet_s_name_or_number_answers_the_question(parent, biscuit, mango, answer):
    asked_about_two(parent, biscuit, mango)
    text_in(answer)
    [message] = messages_of(parent)
    assert message.chat.appointment_id == mango.pk


def test_anything_else_asks_once_more_then_posts_in_the_chat_last_texted_about(
    parent, biscuit, mango
):
    asked_about_two(parent, biscuit, mango)
    again = reply_of(text_in("Also, can she go for walks?"))
    assert again.startswith("Sorry, that was not one of the choices. Which pet is this about?")
    assert not Message.objects.exists()
    last = reply_of(text_in("3"))  # no third pet: still no answer
    assert [(m.content, m.chat.appointment_id) for m in messages_of(parent)] == [
        ("Is the medicine with food?", mango.pk),
        ("Also, can she go for walks?", mango.pk),
        ("3", mango.pk),
    ]
    assert "the chat about Mango, the last one we texted you about" in last
    assert not InboundText.objects.filter(outcome=Outcome.ASKED).exists()
    # and the next text goes straight on: no question remains open
    assert (
        reply_of(text_in("Thank you"))
        == "Which pet is this about? Reply 1 for Mango, 2 for Biscuit."
    )


def test_a_closed_chat_does_not_make_a_reply_ambiguous(parent, biscuit, mango):
    phone = phone_of(parent)
    texted_about(phone, biscuit, at=timezone.now() - timedelta(hours=5))
    texted_about(phone, mango)
    Appointment.objects.filter(pk=biscuit.pk).update(status=Appointment.Status.CANCELLED)
    assert reply_of(text_in("Thanks!")) == ""
    assert [m.chat.appointment_id for m in messages_of(parent)] == [mango.pk]


def test_a_text_older_than_the_window_does_not_make_a_reply_ambiguous(parent, biscuit, mango):
    phone = phone_of(parent)
    texted_about(phone, biscuit, at=timezone.now() - AMBIGUOUS_WITHIN - timedelta(minutes=1))
    texted_about(phone, mango)
    assert reply_of(text_in("Thanks!")) == ""
    assert [m.chat.appointment_id for m in messages_of(parent)] == [mango.pk]


def test_the_question_is_asked_once_for_a_webhook_delivered_twice(parent, biscuit, mango):
    phone = phone_of(parent)
    texted_about(phone, biscuit, at=timezone.now() - timedelta(hours=5))
    texted_about(phone, mango)
    sid = new_sid()
    first, again = text_in("Is she ok?", sid=sid), text_in("Is she ok?", sid=sid)
    assert reply_of(first) == reply_of(again)
    assert InboundText.objects.filter(outcome=Outcome.ASKED).count() == 1
    text_in("Biscuit")
    assert [m.content for m in messages_of(parent)] == ["Is she ok?"]


def test_two_pets_of_the_same_name_are_told_apart_by_day(parent, vet):
    first = AppointmentFactory(pet=PetFactory(owner=parent, name="Bella"), veterinarian=vet)
    second = AppointmentFactory(
        pet=PetFactory(owner=parent, name="Bella"),
        veterinarian=vet,
        starts_at=first.starts_at + timedelta(days=2),
    )
    phone = phone_of(parent)
    texted_about(phone, first, at=timezone.now() - timedelta(hours=1))
    texted_about(phone, second)
    reply = reply_of(text_in("Hi"))
    assert reply.startswith("Which pet is this about? Reply 1 for Bella (")
    assert reply_of(text_in("Bella")).startswith("Sorry")  # names both: not an answer
    text_in("2")
    assert [m.chat.appointment_id for m in messages_of(parent)] == [first.pk, first.pk]
