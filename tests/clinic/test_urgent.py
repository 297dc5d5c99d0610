"""A red flag in a pet parent's message: the chat is marked urgent, both sides' pages show the
banner, the chat leads the vet's "Needs reply", and nothing of it for the vet's own words."""

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.utils import timezone

from clinic.models import UrgentChat
from notifications.selectors import needs_reply
from tests.clinic.conftest import open_now
from tests.factories import AppointmentFactory, PetParentFactory, send_message

pytestmark = pytest.mark.django_db


def banner(response) -> str:
    """The banner's opening tag and text, as rendered."""
    html = response.content.decode()
    start = html.index('id="urgent-banner"')
    return html[html.rindex("<section", 0, start) : html.index("</section>", start)]


def test_a_red_flag_marks_the_chat_urgent_with_the_message_and_sign(appointment, parent):
    message = send_message(parent, appointment, "She's been fitting for five minutes")
    urgent = UrgentChat.objects.get(chat__appointment=appointment)
    assert urgent.message_id == message.id
    assert urgent.seq == message.seq
    assert urgent.sign == "Seizure or fitting"
    assert abs(urgent.flagged_at - timezone.now()) < timedelta(minutes=1)


def test_ordinary_and_negated_messages_leave_the_chat_alone(appointment, parent):
    send_message(parent, appointment, "No seizures since Monday, thanks!")
    send_message(parent, appointment, "Can we come in on Tuesday?")
    assert not UrgentChat.objects.exists()


def test_a_vets_words_never_mark_the_chat(appointment, vet):
    send_message(vet, appointment, "If she has a seizure or collapses, call us at once.")
    send_message(vet, appointment, "Chocolate and grapes are toxic: he ate none, good.")
    assert not UrgentChat.objects.exists()


def test_a_cat_only_sign_is_not_raised_for_a_dog(parent, vet):
    dog = AppointmentFactory(pet__owner=parent, veterinarian=vet)
    cat = AppointmentFactory(pet__owner=parent, veterinarian=vet, pet__species="cat")
    send_message(parent, dog, "He chewed a lily stem")
    send_message(parent, cat, "He chewed a lily stem")
    assert [u.chat.appointment_id for u in UrgentChat.objects.all()] == [cat.pk]


def test_turned_off_the_matcher_marks_nothing(settings, appointment, parent):
    settings.VETCHAT_RED_FLAGS = False
    send_message(parent, appointment, "He collapsed and is not breathing")
    assert not UrgentChat.objects.exists()


@pytest.mark.parametrize("who", ["parent", "vet"])
def test_both_sides_see_the_banner_with_the_emergency_numbers(
    request, clinic, client_for, appointment, parent, who
):
    open_now()
    send_message(parent, appointment, "Rex got hit by a car, he is limping badly")
    response = client_for(request.getfixturevalue(who)).get(f"/appointments/{appointment.pk}/")

    assert response.status_code == HTTPStatus.OK
    shown = banner(response)
    assert 'role="alert"' in shown and " hidden" not in shown
    assert "Hit by a car" in shown  # with "Bleeding that won&#x27;t stop": all it names
    assert 'href="tel:01632960999"' in shown and "City Animal Emergency Hospital" in shown
    heading = "Urgent: possible emergency" if who == "vet" else "This may be an emergency"
    assert heading in shown


def test_without_a_red_flag_the_banner_waits_hidden_for_a_live_alert(
    client_for, appointment, parent
):
    send_message(parent, appointment, "Thanks for today")
    response = client_for(parent).get(f"/appointments/{appointment.pk}/")
    assert " hidden" in banner(response)


def test_the_banner_goes_once_the_vet_answers(client_for, appointment, parent, vet):
    send_message(parent, appointment, "She collapsed in the garden")
    send_message(vet, appointment, "Bring her in now, we are ready for you.")
    for user in (parent, vet):
        response = client_for(user).get(f"/appointments/{appointment.pk}/")
        assert " hidden" in banner(response)


def test_an_urgent_chat_leads_needs_reply_until_the_vet_answers(vet):
    first, second, third = (
        AppointmentFactory(veterinarian=vet, pet__owner=PetParentFactory()) for _ in range(3)
    )
    send_message(first.pet_parent, first, "Biscuit has been sneezing")  # waits longest
    send_message(second.pet_parent, second, "Pepper is off her food")
    send_message(third.pet_parent, third, "Pepper's brother ate a bag of raisins")

    waiting = needs_reply(vet=vet).waiting
    assert [w.appointment_id for w in waiting] == [third.pk, first.pk, second.pk]
    assert waiting[0].urgent_sign == "Ate something poisonous"
    assert [w.urgent_sign for w in waiting[1:]] == [None, None]

    send_message(vet, third, "Come straight in.")
    send_message(third.pet_parent, third, "On our way")
    assert [w.appointment_id for w in needs_reply(vet=vet).waiting] == [
        first.pk,
        second.pk,
        third.pk,
    ]


def test_needs_reply_costs_one_query_however_many_chats_are_urgent(vet, django_assert_num_queries):
    def waiting_chats(count: int, urgent: bool) -> None:
        for _ in range(count):
            appointment = AppointmentFactory(veterinarian=vet, pet__owner=PetParentFactory())
            text = "He collapsed" if urgent else "Hello"
            send_message(appointment.pet_parent, appointment, text)

    waiting_chats(2, urgent=True)
    waiting_chats(2, urgent=False)
    assert vet.clinic_ids  # loaded with the user on every request
    with django_assert_num_queries(1):
        assert len(needs_reply(vet=vet).waiting) == 4
    waiting_chats(10, urgent=True)
    waiting_chats(10, urgent=False)
    with django_assert_num_queries(1):
        assert len(needs_reply(vet=vet).waiting) == 24


def test_the_dashboard_marks_the_urgent_chat(client_for, vet, appointment, parent):
    send_message(parent, appointment, "She is bleeding heavily from her paw")
    response = client_for(vet).get("/dashboard/")
    html = response.content.decode()
    assert "data-urgent" in html
    assert "Urgent: Bleeding that won&#x27;t stop" in html
