"""The promise stored for each family message in its send's transaction, shown under the message
and in the composer, and the composer's JSON endpoint."""

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chat.page import add_message_html
from chat.selectors import chat_for
from chat.services import chat_get_or_create
from chat.shapes import messages_json
from clinic.models import RedFlagSign
from oncall.models import OnCallShift
from safety.models import MessagePromise, ReplySettings, SafeWait
from tests.clinic.conftest import closed_now, furnish_clinic, open_now
from tests.factories import AppointmentFactory, PetParentFactory, VetFactory, send_message
from tests.triage.conftest import intake_body, post_json
from triage.models import ChatRoute, Pool

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clinic(db):
    return furnish_clinic()


def page(client, appointment) -> str:
    response = client.get(f"/appointments/{appointment.pk}/")
    assert response.status_code == HTTPStatus.OK
    return response.content.decode()


def note_of(html: str, message_id) -> str:
    """The note drawn under one message, "" when none."""
    start = html.index(f'id="m-{message_id}"')
    ends = (html.find('<li class="message', start + 1), html.index("</ol>", start))
    item = html[start : min(end for end in ends if end != -1)]
    return item[item.index('<div class="reply-note">') :] if "reply-note" in item else ""


# Stored -----------------------------------------------------------------------------------


def test_a_family_message_stores_its_promise_in_the_send(appointment, parent):
    open_now()
    message = send_message(parent, appointment, "Is Rex due his booster?")
    promise = MessagePromise.objects.get(message_id=message.id)
    assert promise.seq == message.seq and promise.made_at == message.created_at
    assert promise.category == "other" and promise.basis == "open"
    assert promise.expected_by == message.created_at + timedelta(minutes=20)
    assert promise.safe_wait_minutes == 48 * 60 and not promise.guard_fired


def test_the_clinics_words_get_no_promise(appointment, vet):
    open_now()
    send_message(vet, appointment, "How is Rex today?")
    assert not MessagePromise.objects.exists()


def test_the_pools_queue_and_members_stretch_the_promise(clinic, appointment, parent):
    open_now()
    pool = Pool.objects.create(clinic=clinic, name="Nurses on the ward")
    pool.members.add(VetFactory(), VetFactory())
    for _ in range(2):  # two chats waiting in the pool before this one
        other = AppointmentFactory(pet__owner=PetParentFactory())
        chat = chat_get_or_create(appointment_id=other.pk)
        ChatRoute.objects.create(chat=chat, clinic=clinic, category="medical", pool=pool)
        send_message(other.pet_parent, other, "A question")
    chat = chat_get_or_create(appointment_id=appointment.pk)
    ChatRoute.objects.create(chat=chat, clinic=clinic, category="medical", pool=pool)

    message = send_message(parent, appointment, "Rex is limping on his back leg")

    promise = MessagePromise.objects.get(message_id=message.id)
    assert promise.category == "medical" and promise.safe_wait_minutes == 4 * 60
    # (2 ahead + 1) * 20 minutes / 2 members
    assert promise.expected_by == message.created_at + timedelta(minutes=30)


def test_an_intake_sent_at_night_gets_its_categorys_promise_and_guard(
    client_for, appointment, parent
):
    closed_now()  # the next opening is at least a day away
    body = intake_body(appointment, category="medical", answers=[])
    assert post_json(client_for(parent), body).status_code == HTTPStatus.CREATED
    promise = MessagePromise.objects.get(chat__appointment=appointment)
    assert promise.category == "medical" and promise.safe_wait_minutes == 4 * 60
    assert promise.basis == "closed" and promise.guard_fired
    note = note_of(page(client_for(parent), appointment), promise.message_id)
    assert "longer than is safe to wait for a medical question (4 hours)" in note


def test_the_guard_fires_when_closed_longer_than_the_categorys_safe_wait(
    clinic, appointment, parent
):
    closed_now()  # yesterday, today and tomorrow closed
    SafeWait.objects.create(clinic=clinic, category="other", minutes=60)
    message = send_message(parent, appointment, "Can we move Friday's visit?")
    promise = MessagePromise.objects.get(message_id=message.id)
    assert promise.basis == "closed" and promise.guard_fired and promise.guard_reason == "category"
    assert promise.safe_wait_minutes == 60


def test_a_red_flag_signs_shorter_safe_wait_fires_the_guard_while_open(appointment, parent):
    open_now()
    message = send_message(parent, appointment, "She's been fitting for five minutes")
    promise = MessagePromise.objects.get(message_id=message.id)
    assert promise.red_flags == "Seizure or fitting"
    assert promise.guard_fired and promise.guard_reason == "red_flag"
    assert promise.safe_wait_minutes == 15  # the sign's, shorter than 20 minutes a reply


def test_a_sign_whose_safe_wait_is_longer_than_the_reply_does_not_fire(appointment, parent):
    open_now()
    RedFlagSign.objects.filter(name="Seizure or fitting").update(safe_wait_minutes=30)
    message = send_message(parent, appointment, "She's been fitting for five minutes")
    assert not MessagePromise.objects.get(message_id=message.id).guard_fired


def test_someone_on_call_is_paged_for_a_red_flag_and_the_guard_stays_quiet(
    clinic, appointment, parent, vet
):
    closed_now()
    message = send_message(parent, appointment, "He collapsed in the garden")
    assert MessagePromise.objects.get(message_id=message.id).guard_fired  # nobody on call

    now = message.created_at
    OnCallShift.objects.create(
        clinic=clinic,
        clinician=vet,
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=8),
    )
    again = send_message(parent, appointment, "He collapsed again")
    promise = MessagePromise.objects.get(message_id=again.id)
    assert promise.basis == "on_call" and promise.on_call and not promise.guard_fired
    assert promise.expected_by == again.created_at + timedelta(minutes=10)


# Shown ------------------------------------------------------------------------------------


def test_each_unanswered_family_message_shows_when_a_reply_is_expected(
    client_for, appointment, parent, vet
):
    open_now()
    first = send_message(parent, appointment, "Is Rex due his booster?")
    html = page(client_for(parent), appointment)
    assert "Reply expected by " in note_of(html, first.id)

    send_message(vet, appointment, "Yes, next week.")
    later = send_message(parent, appointment, "Thanks! And his flea treatment?")
    html = page(client_for(parent), appointment)
    assert note_of(html, first.id) == ""  # answered since
    assert "Reply expected by " in note_of(html, later.id)


def test_the_guards_words_and_where_to_go_show_under_the_message(
    clinic, client_for, appointment, parent, vet
):
    closed_now()
    SafeWait.objects.create(clinic=clinic, category="other", minutes=60)
    ReplySettings.objects.create(
        clinic=clinic,
        emergency_clinic_name="City Animal Emergency Hospital",
        emergency_clinic_address="1 Hospital Road",
        emergency_clinic_phone="01632 960 999",
    )
    message = send_message(parent, appointment, "Can we move Friday's visit?")

    note = note_of(page(client_for(parent), appointment), message.id)
    assert "We cannot reply before " in note
    assert "longer than is safe to wait for this question (1 hour)" in note
    assert 'href="tel:01632960999"' in note and "1 Hospital Road" in note
    vet_note = note_of(page(client_for(vet), appointment), message.id)
    assert "The family was told: We cannot reply before" in vet_note
    assert "tel:" not in vet_note


def test_a_red_flags_advice_shows_under_its_message_and_by_the_composer(
    client_for, appointment, parent
):
    open_now()
    message = send_message(parent, appointment, "Rex got hit by a car")
    html = page(client_for(parent), appointment)
    note = note_of(html, message.id)
    assert "This may be an emergency." in note and "Hit by a car" in note
    assert 'role="alert"' not in note and "aria-live" not in note  # the banner announces it
    start = html.index('id="composer-urgent-advice"')
    composer = html[start : html.index("</div>", start)]
    assert " hidden" not in composer.split(">", 1)[0] and "Hit by a car" in composer
    assert "role=" not in composer and "aria-live" not in composer
    banner = html[html.index('id="urgent-banner"') - 40 : html.index('id="urgent-banner"') + 120]
    assert 'role="alert"' in banner  # the one live region that announces it


def test_the_composer_says_when_a_reply_can_be_expected_before_sending(
    client_for, appointment, vet
):
    open_now()
    html = page(client_for(appointment.pet_parent), appointment)
    assert "If you send now, expect a reply by " in html
    assert f'data-url="/safety/chats/{appointment.pk}/promise"' in html
    assert "If you send now" not in page(client_for(vet), appointment)


def test_messages_drawn_for_the_pages_scripts_carry_their_notes(appointment, parent):
    open_now()
    send_message(parent, appointment, "Is Rex due his booster?")
    chat = chat_for(user=parent, appointment_id=appointment.pk)
    from chat.selectors import chat_messages

    messages = messages_json(chat_messages(chat, limit=50).rows, chat)
    add_message_html(chat=chat, user=parent, messages=messages)
    assert "Reply expected by " in messages[0]["html"]


def test_the_page_reads_every_note_in_one_query_however_many_messages(client_for, appointment):
    open_now()
    parent = appointment.pet_parent
    client = client_for(parent)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            page(client, appointment)
        return len(queries)

    send_message(parent, appointment, "One")
    page(client, appointment)  # read once, so both counts below are of an already-read page
    few = count()
    for n in range(20):
        send_message(parent, appointment, f"Question {n}")
    page(client, appointment)
    assert count() == few


# The composer's endpoint ------------------------------------------------------------------


def url(appointment, category: str = "") -> str:
    query = f"?category={category}" if category else ""
    return f"/safety/chats/{appointment.pk}/promise{query}"


def test_the_endpoint_answers_for_a_chosen_category(client_for, appointment):
    closed_now()
    response = client_for(appointment.pet_parent).get(url(appointment, "medical"))
    assert response.status_code == HTTPStatus.OK
    body = response.json()
    assert body["category"] == "medical" and body["guardFired"]
    assert body["text"].startswith("If you send now, expect a reply by ")
    assert "longer than is safe to wait for a medical question (4 hours)" in body["guardText"]
    assert "safe-wait-guard" in body["html"]
    billing = client_for(appointment.pet_parent).get(url(appointment, "billing")).json()
    assert billing["expectedBy"] == body["expectedBy"]


def test_a_bad_category_is_a_400_with_a_json_error(client_for, appointment):
    response = client_for(appointment.pet_parent).get(url(appointment, "gossip"))
    assert response.status_code == HTTPStatus.BAD_REQUEST
    error = response.json()["error"]
    assert error["code"] == "invalid" and "category" in error["fields"]


def test_a_stranger_gets_404_and_nobody_signed_in_401(client, client_for, appointment):
    stranger = client_for(PetParentFactory()).get(url(appointment, "medical"))
    assert stranger.status_code == HTTPStatus.NOT_FOUND
    assert client.get(url(appointment)).status_code == HTTPStatus.UNAUTHORIZED


def test_a_safe_wait_set_in_the_admin_counts_at_once(clinic, client_for, staff, appointment):
    closed_now()
    parent = client_for(appointment.pet_parent)
    assert parent.get(url(appointment, "billing")).json()["guardText"] == ""  # 72 h by default
    response = client_for(staff).post(
        "/admin/safety/safewait/add/", {"clinic": clinic.pk, "category": "billing", "minutes": "30"}
    )
    assert response.status_code == HTTPStatus.FOUND, response.content
    body = parent.get(url(appointment, "billing")).json()
    assert body["guardFired"] and "(30 minutes)" in body["guardText"]
