"""STOP, START and HELP by text, honoured at once and recorded with the words received."""

from http import HTTPStatus

import pytest
from django.utils import timezone

from sms.keywords import Keyword, keyword_of
from sms.models import ConsentEvent, InboundText
from tests.factories import ClinicFactory
from tests.sms.inbound_fixtures import phone_of, reply_of, text_in, texted_about, texts_on


@pytest.fixture(autouse=True)
def texts_enabled(settings) -> None:
    texts_on(settings)


@pytest.mark.parametrize(
    ("body", "keyword"),
    [
        ("STOP", Keyword.STOP),
        ("stop", Keyword.STOP),
        ("  Stop.  ", Keyword.STOP),
        ("STOP!!", Keyword.STOP),
        ("StopAll", Keyword.STOP),
        ("unsubscribe", Keyword.STOP),
        ("Cancel", Keyword.STOP),
        ("end", Keyword.STOP),
        ("QUIT", Keyword.STOP),
        ("revoke", Keyword.STOP),
        ("OptOut", Keyword.STOP),
        ("START", Keyword.START),
        ("yes", Keyword.START),
        ("Unstop", Keyword.START),
        ("HELP", Keyword.HELP),
        ("info?", Keyword.HELP),
    ],
)
def test_carriers_keywords_are_read_whole_whatever_their_case(body, keyword):
    assert keyword_of(body) == keyword


@pytest.mark.parametrize(
    "body", ["stop please", "Please stop", "don't stop", "STOP ALL", "yes she ate", "helpful", ""]
)
def test_a_keyword_inside_a_message_is_not_one(body):
    assert keyword_of(body) is None


def test_stop_stops_texts_at_once_and_records_the_words(parent, appointment):
    # given a parent who opted in and was texted about an appointment at a named clinic
    phone = phone_of(parent)
    texted_about(phone, appointment)
    # when
    response = text_in("Stop.")
    # then
    assert response.status_code == HTTPStatus.OK
    phone.refresh_from_db()
    assert phone.stopped_at is not None
    assert not phone.texts_allowed
    event = ConsentEvent.objects.get(user=parent)
    assert (event.kind, event.source, event.words, event.number) == (
        "stop",
        "text",
        "Stop.",
        phone.number,
    )
    assert reply_of(response) == (
        f"You won't get texts from {appointment.clinic.name} any more. "
        "Reply START to get them again."
    )
    assert InboundText.objects.get().outcome == InboundText.Outcome.STOP


@pytest.mark.parametrize("word", ["STOPALL", "unsubscribe", "CANCEL", "End", "quit", "REVOKE"])
def test_every_opt_out_variant_stops_texts(parent, word):
    phone = phone_of(parent)
    text_in(word)
    phone.refresh_from_db()
    assert phone.stopped_at is not None
    assert ConsentEvent.objects.get(user=parent).words == word


def test_start_after_stop_opts_the_parent_in_again(parent, appointment):
    phone = phone_of(parent)
    texted_about(phone, appointment)
    text_in("STOP")
    response = text_in("start")
    phone.refresh_from_db()
    assert phone.stopped_at is None and phone.texts_allowed
    assert [(e.kind, e.words) for e in ConsentEvent.objects.filter(user=parent)] == [
        ("stop", "STOP"),
        ("start", "start"),
    ]
    assert "again" in reply_of(response) and "STOP" in reply_of(response)


def test_start_from_a_number_that_never_opted_in_does_not_opt_it_in(parent):
    phone = phone_of(parent, consented=False)
    response = text_in("YES")
    phone.refresh_from_db()
    assert phone.opted_in_at is None and not phone.texts_allowed
    assert not ConsentEvent.objects.exists()
    reply = reply_of(response)
    assert "turn them on in your profile" in reply
    assert reply.endswith("https://vetchat.test/profile/")
    row = InboundText.objects.get()
    assert (row.outcome, row.user) == (InboundText.Outcome.REFUSED, parent)


def test_help_names_the_clinic_and_its_phone(parent, appointment):
    appointment.clinic.phone = "020 7946 0000"
    appointment.clinic.save()
    phone = phone_of(parent)
    texted_about(phone, appointment)
    reply = reply_of(text_in("help"))
    assert "Reply STOP" in reply
    assert f"call {appointment.clinic.name} on 020 7946 0000" in reply
    assert ConsentEvent.objects.get(user=parent).kind == "help"
    phone.refresh_from_db()
    assert phone.texts_allowed  # HELP changes nothing


def test_help_before_any_text_gives_a_generic_line(parent):
    phone_of(parent)
    ClinicFactory(phone="01234 567890")  # some clinic's phone is not this parent's
    reply = reply_of(text_in("INFO"))
    assert reply.startswith("vetchat texts you")
    assert "please contact your vet clinic" in reply
    assert "01234" not in reply


def test_stop_from_an_unknown_number_is_recorded_and_not_answered(parent):
    phone_of(parent)
    response = text_in("STOP", sender="+447700900999")
    assert response.status_code == HTTPStatus.OK
    assert reply_of(response) == ""
    row = InboundText.objects.get()
    assert (row.outcome, row.user, row.from_number) == ("stop", None, "+447700900999")
    assert not ConsentEvent.objects.exists()


def test_a_keyword_is_honoured_even_while_a_question_is_open(parent, appointment):
    phone = phone_of(parent)
    InboundText.objects.create(
        provider_sid="SMheld",
        from_number=phone.number,
        body="Is she ok?",
        user=parent,
        outcome=InboundText.Outcome.ASKED,
        choices=[str(appointment.pk)],
    )
    text_in("STOP")
    phone.refresh_from_db()
    assert phone.stopped_at is not None
    assert InboundText.objects.get(provider_sid="SMheld").outcome == "asked"


def test_stop_twice_keeps_the_first_time(parent):
    phone = phone_of(parent)
    text_in("STOP")
    phone.refresh_from_db()
    first = phone.stopped_at
    text_in("stop")
    phone.refresh_from_db()
    assert phone.stopped_at == first <= timezone.now()
    assert ConsentEvent.objects.filter(user=parent, kind="stop").count() == 2
