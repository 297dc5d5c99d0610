"""The intake: a pet parent's first message of a topic asks its category and, for a medical
question, the clinic's questions for the pet's species; through the API and the plain form."""

from http import HTTPStatus

import pytest

from appointments.models import Pet
from chat.models import Message
from clinic.models import UrgentChat
from tests.factories import AppointmentFactory
from tests.triage.conftest import intake_body, post_json, question
from triage.intake import intake_questions
from triage.models import ChatRoute, IntakeQuestion

pytestmark = pytest.mark.django_db


def test_parent_sends_a_medical_intake_through_the_api(client_for, appointment, parent):
    breathing = question(appointment, "How is their breathing")
    how_long = question(appointment, "How long")
    body = intake_body(
        appointment,
        category="medical",
        answers=[
            {"questionId": how_long.pk, "answer": "1 to 3 days"},
            {"questionId": breathing.pk, "answer": "Normal"},
        ],
    )

    response = post_json(client_for(parent), body)

    assert response.status_code == HTTPStatus.CREATED, response.content
    message = Message.objects.get(chat__appointment=appointment)
    assert message.message_type == Message.Type.INTAKE
    assert message.payload == {
        "category": "medical",
        "categoryLabel": "Medical question",
        "answers": [
            {"questionId": breathing.pk, "question": breathing.text, "answer": "Normal"},
            {"questionId": how_long.pk, "question": how_long.text, "answer": "1 to 3 days"},
        ],
    }
    assert message.content == (
        "Bella is not herself.\n\n"
        "How is their breathing? Normal.\nHow long has this been going on? 1 to 3 days."
    )
    assert response.json()["message"]["payload"]["category"] == "medical"


def test_the_parent_corrects_an_intake_s_words_and_its_answers_stay(
    client_for, appointment, parent
):
    breathing = question(appointment, "How is their breathing")
    body = intake_body(
        appointment,
        category="medical",
        answers=[{"questionId": breathing.pk, "answer": "Normal"}],
    )
    client = client_for(parent)
    sent = post_json(client, body).json()["message"]

    response = client.patch(
        f"/api/appointment-chat/messages/{sent['_id']}",
        {"content": "Bella is not herself today."},
        content_type="application/json",
    )

    assert response.status_code == HTTPStatus.OK, response.content
    message = Message.objects.get(pk=sent["_id"])
    assert message.content == "Bella is not herself today.\n\nHow is their breathing? Normal."
    assert message.payload["answers"][0]["answer"] == "Normal"
    assert message.edited_at is not None


def test_a_chosen_category_goes_without_words_and_a_skipped_one_does_not(
    client_for, appointment, parent
):
    # The words may follow in the files' message; "other" alone says nothing.
    client = client_for(parent)
    skipped = post_json(client, intake_body(appointment, category="other", content=""))
    assert skipped.status_code == HTTPStatus.BAD_REQUEST
    assert skipped.json()["error"]["fields"]["content"] == "Write a message before sending."

    billing = post_json(client, intake_body(appointment, category="billing", content=""))

    assert billing.status_code == HTTPStatus.CREATED, billing.content
    assert ChatRoute.objects.get(chat__appointment=appointment).category == "billing"


def test_skipped_intake_goes_as_other(client_for, appointment, parent):
    response = post_json(client_for(parent), intake_body(appointment))

    assert response.status_code == HTTPStatus.CREATED
    message = Message.objects.get(chat__appointment=appointment)
    assert message.payload["category"] == "other"
    assert message.payload["answers"] == []
    assert message.content == "Bella is not herself."  # no answers: the parent's words alone
    assert ChatRoute.objects.get(chat__appointment=appointment).category == "other"


@pytest.mark.parametrize(
    ("payload", "says"),
    [
        ({"category": "urgent"}, "category: Use one of medical, medication"),
        ({"category": ""}, "Choose what your message is about"),
        (
            {"category": "medical", "answers": [{"questionId": 0, "answer": "x"}]},
            "No such question",
        ),
        ({"category": "medical", "answers": "all fine"}, "Send a list of answers"),
        ({"category": "other", "colour": "red"}, "colour: Unknown field"),
    ],
)
def test_bad_intake_is_400_with_a_json_error(client_for, appointment, parent, payload, says):
    response = post_json(client_for(parent), intake_body(appointment, **payload))

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert says in response.json()["error"]["fields"]["payload"]
    assert not Message.objects.exists()


def test_an_answer_must_be_one_of_the_question_s_choices(client_for, appointment, parent):
    breathing = question(appointment, "How is their breathing")
    body = intake_body(
        appointment, category="medical", answers=[{"questionId": breathing.pk, "answer": "Meh"}]
    )

    response = post_json(client_for(parent), body)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "with one of its choices" in response.json()["error"]["fields"]["payload"]


def test_only_the_family_sends_an_intake(client_for, appointment, vet):
    response = post_json(client_for(vet), intake_body(appointment, category="other"))

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json()["error"]["message"] == "Only the pet's owners can send an intake."


def test_questions_follow_the_pet_s_species(appointment, parent):
    cats_only = IntakeQuestion.objects.create(
        clinic_id=appointment.clinic_id,
        species=Pet.Species.CAT,
        text="Using the litter box?",
        position=10,
    )
    cat = AppointmentFactory(pet__owner=parent, pet__species=Pet.Species.CAT)
    IntakeQuestion.objects.filter(text__startswith="How long").update(enabled=False)

    for_dog = intake_questions(clinic_id=appointment.clinic_id, appointment_id=appointment.pk)
    for_cat = intake_questions(clinic_id=cat.clinic_id, appointment_id=cat.pk)

    assert cats_only.pk not in [q.id for q in for_dog]
    assert [q.text for q in for_cat][-1] == "Using the litter box?"
    assert "How long has this been going on?" not in [q.text for q in for_cat]


def test_an_alarming_answer_raises_the_red_flag(client_for, appointment, parent):
    breathing = question(appointment, "How is their breathing")
    body = intake_body(
        appointment,
        content="She seems off today.",
        category="medical",
        answers=[{"questionId": breathing.pk, "answer": "Struggling to breathe"}],
    )

    assert post_json(client_for(parent), body).status_code == HTTPStatus.CREATED

    assert UrgentChat.objects.get(chat__appointment=appointment).sign == (
        "Not breathing or breathing hard"
    )


def test_a_calm_answer_raises_none(client_for, appointment, parent):
    breathing = question(appointment, "How is their breathing")
    body = intake_body(
        appointment,
        content="She seems off today.",
        category="medical",
        answers=[{"questionId": breathing.pk, "answer": "Normal"}],
    )

    assert post_json(client_for(parent), body).status_code == HTTPStatus.CREATED

    assert not UrgentChat.objects.exists()


# The page ------------------------------------------------------------------------------------


def page(client, appointment, query: str = ""):
    return client.get(f"/appointments/{appointment.pk}/{query}")


def test_the_page_asks_the_intake_before_the_first_message_only(client_for, appointment, parent):
    client = client_for(parent)

    first = page(client, appointment).text
    assert 'name="category" value="medical"' in first
    assert "How is their breathing?" in first

    post_json(client, intake_body(appointment, category="billing"))
    later = page(client, appointment).text
    assert "data-intake" not in later
    assert "?topic=new" in later

    new_topic = page(client, appointment, "?topic=new").text
    assert "New topic: what is it about?" in new_topic


def test_the_clinic_side_is_never_asked(client_for, appointment, vet):
    assert "data-intake" not in page(client_for(vet), appointment).text


def test_plain_form_sends_the_intake(client_for, appointment, parent):
    breathing = question(appointment, "How is their breathing")
    form = {
        "messageType": "intake",
        "category": "medical",
        f"answer-{breathing.pk}": "Faster or noisier than usual",
        "content": "Coughing since last night.",
    }

    response = client_for(parent).post(f"/appointments/{appointment.pk}/messages/", form)

    assert response.status_code == HTTPStatus.FOUND
    message = Message.objects.get(chat__appointment=appointment)
    assert message.payload["answers"][0]["answer"] == "Faster or noisier than usual"
    assert message.content == (
        "Coughing since last night.\n\nHow is their breathing? Faster or noisier than usual."
    )


def test_plain_form_skip_sends_as_other(client_for, appointment, parent):
    form = {"messageType": "intake", "category": "medical", "skip": "1", "content": "Hello"}

    client_for(parent).post(f"/appointments/{appointment.pk}/messages/", form)

    assert Message.objects.get(chat__appointment=appointment).payload["category"] == "other"


def test_plain_form_without_a_category_sends_as_other(client_for, appointment, parent):
    form = {"messageType": "intake", "content": "Hello"}

    client_for(parent).post(f"/appointments/{appointment.pk}/messages/", form)

    assert Message.objects.get(chat__appointment=appointment).payload["category"] == "other"


def test_plain_form_refusal_keeps_what_was_typed(client_for, appointment, parent):
    how_long = question(appointment, "How long")
    form = {
        "messageType": "intake",
        "category": "medical",
        f"answer-{how_long.pk}": "x" * 501,
        "content": "Coughing since last night.",
    }

    response = client_for(parent).post(f"/appointments/{appointment.pk}/messages/", form)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "answers: At most 500 characters an answer." in response.text
    assert "Coughing since last night." in response.text
    assert 'value="medical" checked' in response.text
    assert not Message.objects.exists()


def test_the_clinic_reads_the_intake_as_a_card(client_for, appointment, parent, vet):
    breathing = question(appointment, "How is their breathing")
    body = intake_body(
        appointment,
        content="Coughing since last night.",
        category="medical",
        answers=[{"questionId": breathing.pk, "answer": "Normal"}],
    )
    post_json(client_for(parent), body)

    html = page(client_for(vet), appointment).text
    polled = client_for(vet).get(
        "/api/appointment-chat/messages",
        {"appointmentId": str(appointment.pk), "after": 0, "render": "html"},
    )

    for drawn in (html, polled.json()["messages"][0]["html"]):
        assert 'class="intake-card"' in drawn
        assert "<dt>How is their breathing?</dt><dd>Normal</dd>" in drawn
        assert '<p class="content">Coughing since last night.</p>' in drawn
        assert "Medical question" in drawn
