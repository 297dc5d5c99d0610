"""A pet parent's number and consent to texts, on their profile only: recorded with the exact
words shown and the time; refused with the reason and the typed text kept; nothing of it when
texts are off or for anyone but a pet parent; no way for staff to opt anyone in."""

from datetime import timedelta
from http import HTTPStatus
from io import StringIO

import pytest
from django.urls import reverse
from django.utils import timezone

from sms.models import ConsentEvent, Phone
from sms.phones import CONSENT_WORDS
from tests.factories import VetFactory
from tests.sms.conftest import aim_at

PROFILE = "/profile/"
NUMBER = "+447400123456"


@pytest.fixture
def texts_on(twilio):
    return twilio


def save(client, number: str, *, consent: bool = True):
    form = {"phone": "1", "number": number}
    if consent:
        form["consent"] = "on"
    return client.post(PROFILE, form)


def test_the_profile_offers_no_texts_while_they_are_off(client_for, parent, settings):
    settings.VETCHAT_SMS_PROVIDER = ""
    page = client_for(parent).get(PROFILE)
    assert page.status_code == HTTPStatus.OK
    assert 'name="number"' not in page.text
    assert "Texts" not in page.text and "mobile" not in page.text.lower()
    refused = save(client_for(parent), NUMBER)
    assert refused.status_code == HTTPStatus.FORBIDDEN
    assert not Phone.objects.exists()


def test_a_parent_opts_in_and_the_exact_words_and_time_are_recorded(texts_on, client_for, parent):
    client = client_for(parent)
    page = client.get(PROFILE)
    assert CONSENT_WORDS in page.text  # the words shown are the words recorded
    before = timezone.now()

    response = save(client, "07400 123456")

    assert response.status_code == HTTPStatus.FOUND
    phone = Phone.objects.get(user=parent)
    assert phone.number == NUMBER  # typed nationally, kept in E.164
    assert before <= phone.opted_in_at <= timezone.now()
    assert phone.texts_allowed
    [event] = ConsentEvent.objects.filter(user=parent)
    assert (event.kind, event.source, event.number) == ("opt_in", "profile", NUMBER)
    assert event.words == CONSENT_WORDS
    assert event.at == phone.opted_in_at
    assert "We text +44 7400 123456" in client.get(PROFILE).text


def test_a_number_without_the_tick_is_kept_but_not_texted(texts_on, client_for, parent):
    save(client_for(parent), NUMBER, consent=False)
    phone = Phone.objects.get(user=parent)
    assert phone.opted_in_at is None and not phone.texts_allowed
    assert not ConsentEvent.objects.exists()


def test_unticking_records_the_opt_out(texts_on, client_for, parent):
    client = client_for(parent)
    save(client, NUMBER)
    save(client, NUMBER, consent=False)
    phone = Phone.objects.get(user=parent)
    assert phone.opted_in_at is None
    kinds = list(ConsentEvent.objects.filter(user=parent).values_list("kind", "words"))
    assert kinds == [("opt_in", CONSENT_WORDS), ("opt_out", CONSENT_WORDS)]


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("12345", "too few or too many digits"),
        ("call me", "not a phone number"),
        ("+44 20 7946 0000", "not a mobile number"),  # a London landline
    ],
)
def test_a_number_texts_cannot_reach_is_refused_with_the_typed_text_kept(
    texts_on, client_for, parent, typed, reason
):
    response = save(client_for(parent), typed)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert reason in response.text
    assert f'value="{typed}"' in response.text
    assert 'aria-invalid="true"' in response.text
    assert not Phone.objects.exists()
    assert not ConsentEvent.objects.exists()


def test_a_number_of_another_account_is_refused(texts_on, client_for, parent, other_parent):
    save(client_for(other_parent), NUMBER)
    response = save(client_for(parent), NUMBER)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "already used by another account" in response.text
    assert not Phone.objects.filter(user=parent).exists()
    assert not ConsentEvent.objects.filter(user=parent).exists()


def test_a_new_number_needs_consent_again_and_forgets_the_old_failure(texts_on, client_for, parent):
    client = client_for(parent)
    save(client, NUMBER)
    Phone.objects.filter(user=parent).update(
        failed_at=timezone.now(), failure="the number does not exist"
    )

    save(client, "+447400123999", consent=False)

    phone = Phone.objects.get(user=parent)
    assert phone.number == "+447400123999"
    assert phone.opted_in_at is None and phone.failed_at is None and phone.failure == ""
    events = ConsentEvent.objects.filter(user=parent).order_by("at", "pk")
    assert [(e.kind, e.number) for e in events] == [("opt_in", NUMBER), ("opt_out", NUMBER)]


def test_removing_the_number_ends_texts_and_is_recorded(texts_on, client_for, parent):
    client = client_for(parent)
    save(client, NUMBER)
    response = client.post(PROFILE, {"remove_phone": "1"})
    assert response.status_code == HTTPStatus.FOUND
    assert not Phone.objects.exists()
    assert ConsentEvent.objects.filter(user=parent).latest("at").kind == "opt_out"


def test_the_profile_says_the_number_failed_and_that_stop_was_received(
    texts_on, client_for, parent
):
    client = client_for(parent)
    save(client, NUMBER)
    Phone.objects.filter(user=parent).update(
        failed_at=timezone.now(),
        failure="the carrier says this is a landline, or its network cannot take texts",
    )
    page = client.get(PROFILE).text
    assert "Texts to +44 7400 123456 are not arriving: the carrier says this is a landline" in page
    assert "We email you instead." in page

    Phone.objects.filter(user=parent).update(failed_at=None, stopped_at=timezone.now())
    page = client.get(PROFILE).text
    assert "You texted STOP" in page and "or text START" in page

    # Ticking the box again is consent given again, with its words.
    save(client, NUMBER)
    phone = Phone.objects.get(user=parent)
    assert phone.stopped_at is None and phone.texts_allowed
    assert ConsentEvent.objects.filter(user=parent, kind="opt_in").count() == 2


def test_vets_and_staff_are_offered_no_number_and_cannot_add_one(texts_on, client_for, staff):
    for user in (VetFactory(), staff):
        client = client_for(user)
        assert 'name="number"' not in client.get(PROFILE).text
        assert save(client, NUMBER).status_code == HTTPStatus.FORBIDDEN
    assert not Phone.objects.exists()
    assert not ConsentEvent.objects.exists()


def test_staff_cannot_opt_anyone_in_through_the_admin(texts_on, client_for, staff, parent):
    client = client_for(staff)  # a superuser
    save(client_for(parent), NUMBER, consent=False)
    phone = Phone.objects.get(user=parent)

    assert client.get(reverse("admin:sms_phone_add")).status_code == HTTPStatus.FORBIDDEN
    change = reverse("admin:sms_phone_change", args=[phone.pk])
    page = client.get(change)
    assert page.status_code == HTTPStatus.OK  # shown, not editable
    assert 'name="opted_in_at' not in page.text
    posted = client.post(change, {"opted_in_at_0": "2026-01-01", "opted_in_at_1": "10:00"})
    assert posted.status_code == HTTPStatus.FORBIDDEN
    phone.refresh_from_db()
    assert phone.opted_in_at is None
    assert not ConsentEvent.objects.exists()


def test_the_admin_shows_the_consent_history(texts_on, client_for, staff, parent):
    save(client_for(parent), NUMBER)
    page = client_for(staff).get(reverse("admin:sms_phone_change", args=[parent.pk]))
    assert CONSENT_WORDS in page.text
    assert "Opted in" in page.text


def test_preferences_offer_texts_only_to_a_parent_with_a_consented_number(
    texts_on, client_for, parent, settings
):
    client = client_for(parent)
    preferences = reverse("notification_preferences")
    assert 'name="sms_enabled"' not in client.get(preferences).text
    save(client, NUMBER)
    page = client.get(preferences).text
    assert 'name="sms_enabled"' in page
    assert "Text me at +44 7400 123456 instead of emailing" in page

    client.post(preferences, {"email_enabled": "on", "delay": "clinic"})  # unticked
    assert parent.notification_preference.sms_enabled is False

    settings.VETCHAT_SMS_PROVIDER = ""
    assert 'name="sms_enabled"' not in client.get(preferences).text


def test_a_stop_in_the_past_week_keeps_preferences_from_offering_texts(
    texts_on, client_for, parent
):
    save(client_for(parent), NUMBER)
    Phone.objects.filter(user=parent).update(stopped_at=timezone.now() - timedelta(days=1))
    page = client_for(parent).get(reverse("notification_preferences")).text
    assert 'name="sms_enabled"' not in page


def test_aim_at_is_what_turns_texts_on(settings, twilio):
    aim_at(settings, twilio)
    from sms.enabled import sms_enabled

    assert sms_enabled()


def test_the_demo_seed_gives_one_parent_a_consented_fictional_number(db):
    from django.core.management import call_command

    call_command("seed_demo", force=True, stdout=StringIO())
    call_command("seed_demo", force=True, stdout=StringIO())  # again: nothing doubled

    [phone] = Phone.objects.select_related("user")
    assert phone.user.email == "parent@example.com"
    assert phone.number == "+12025550123" and phone.texts_allowed
    [event] = ConsentEvent.objects.all()
    assert (event.kind, event.words) == ("opt_in", CONSENT_WORDS)
