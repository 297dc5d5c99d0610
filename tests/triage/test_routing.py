"""Routing a topic to a pool: every member sees it in "Needs reply" until one takes it; a vet
can keep the chat with themselves; a new topic routes again."""

import threading
from http import HTTPStatus

import pytest
from django.db import connection
from django.utils import timezone

from appointments.models import AppointmentMember
from chat.models import Message
from notifications.selectors import needs_reply
from tests.factories import AppointmentFactory, ClinicFactory, TechnicianFactory, send_message
from tests.triage.conftest import intake_body, pool, post_json
from triage.models import CategoryRoute, ChatRoute, IntakeQuestion, Pool
from triage.selectors import chat_route, pool_member_ids, pool_waiting
from triage.services import AlreadyTaken, chat_take

pytestmark = pytest.mark.django_db


def open_topic(client_for, appointment, parent, category: str = "medical"):
    response = post_json(client_for(parent), intake_body(appointment, category=category))
    assert response.status_code == HTTPStatus.CREATED, response.content
    return response


@pytest.mark.parametrize(
    ("category", "pool_name"),
    [
        ("medical", "Vets"),
        ("medication", "Nursing"),
        ("appointment", "Front desk"),
        ("billing", "Front desk"),
        ("other", "Front desk"),
    ],
)
def test_each_category_goes_to_its_pool(client_for, appointment, parent, category, pool_name):
    open_topic(client_for, appointment, parent, category)

    route = ChatRoute.objects.get(chat__appointment=appointment)
    intake = Message.objects.get(chat__appointment=appointment)
    found = chat_route(route.chat_id)
    assert (found.category, found.pool_name, found.taken_by_id) == (category, pool_name, None)
    assert found.intake_seq == intake.seq
    assert route.clinic_id == appointment.clinic_id


def test_pool_members_see_the_chat_in_needs_reply(client_for, parent, nurse):
    appointments = [AppointmentFactory(pet__owner=parent) for _ in range(3)]
    open_topic(client_for, appointments[0], parent, "medication")

    inbox = needs_reply(vet=nurse)

    assert [w.appointment_id for w in inbox.waiting] == [appointments[0].pk]
    assert (inbox.waiting[0].pool_name, inbox.waiting[0].may_take) == ("Nursing", True)
    html = client_for(nurse).get("/dashboard/").text
    assert "Pool: Nursing" in html
    assert f'action="/triage/chats/{appointments[0].pk}/take"' in html


def test_needs_reply_stays_one_query_with_pools(
    client_for, parent, nurse, django_assert_num_queries
):
    appointments = [AppointmentFactory(pet__owner=parent) for _ in range(4)]
    open_topic(client_for, appointments[0], parent, "medication")
    assert nurse.clinic_ids  # loaded with the session's user in a request
    with django_assert_num_queries(1):
        assert needs_reply(vet=nurse).total == 1

    for appointment in appointments[1:]:
        open_topic(client_for, appointment, parent, "medication")
    with django_assert_num_queries(1):
        assert needs_reply(vet=nurse).total == 4


def test_taking_makes_the_chat_the_taker_s(client_for, appointment, parent, nurse):
    open_topic(client_for, appointment, parent, "medication")

    response = client_for(nurse).post(f"/triage/chats/{appointment.pk}/take")

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == f"/appointments/{appointment.pk}/#chat-end"
    route = ChatRoute.objects.get(chat__appointment=appointment)
    assert route.taken_by == nurse
    assert AppointmentMember.objects.filter(appointment=appointment, user=nurse).exists()
    notice = Message.objects.filter(chat__appointment=appointment).latest("seq")
    assert notice.message_type == Message.Type.SYSTEM
    assert notice.content == "Sam Lee (Nursing) took this conversation."
    # Off the pool's list, on the taker's own (as a care team member).
    assert needs_reply(vet=nurse).waiting[0].pool_name is None
    assert client_for(nurse).get(f"/appointments/{appointment.pk}/").status_code == HTTPStatus.OK


def test_the_second_taker_hears_who_took_it(client_for, appointment, parent, nurse, pool_vet):
    open_topic(client_for, appointment, parent, "medical")
    client_for(nurse).post(f"/triage/chats/{appointment.pk}/take")

    response = client_for(pool_vet).post(
        f"/triage/chats/{appointment.pk}/take", HTTP_ACCEPT="application/json"
    )

    assert response.status_code == HTTPStatus.CONFLICT
    assert response.json()["error"]["message"] == "Already taken by Sam Lee."


def test_take_answers_json_when_asked(client_for, appointment, parent, nurse):
    open_topic(client_for, appointment, parent, "medical")

    response = client_for(nurse).post(
        f"/triage/chats/{appointment.pk}/take", HTTP_ACCEPT="application/json"
    )

    assert response.status_code == HTTPStatus.OK
    assert response.json()["takenBy"] == str(nurse.pk)


def test_take_needs_csrf(appointment, parent, nurse, client_for):
    from django.test import Client

    open_topic(client_for, appointment, parent, "medical")
    client = Client(enforce_csrf_checks=True)
    client.force_login(nurse)

    assert client.post(f"/triage/chats/{appointment.pk}/take").status_code == HTTPStatus.FORBIDDEN


@pytest.mark.django_db(transaction=True)
def test_two_takers_at_once_one_wins(appointment, parent, client_for):
    open_topic(client_for, appointment, parent, "medical")
    members = [TechnicianFactory(name=f"Nurse {n}") for n in range(2)]
    pool(appointment, "Vets").members.add(*members)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def take(member):
        barrier.wait()
        try:
            chat_take(appointment_id=appointment.pk, user=member, at=timezone.now())
            outcomes.append("took")
        except AlreadyTaken:
            outcomes.append("already taken")
        except Exception as error:
            outcomes.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=take, args=(m,)) for m in members]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["already taken", "took"]
    assert Message.objects.filter(message_type=Message.Type.SYSTEM).count() == 1


def test_a_pool_member_who_replies_takes_it(
    client_for, appointment, parent, nurse, django_capture_on_commit_callbacks
):
    open_topic(client_for, appointment, parent, "medication")

    with django_capture_on_commit_callbacks(execute=True):
        send_message(nurse, appointment, "Happy to help with the refill.")

    assert ChatRoute.objects.get(chat__appointment=appointment).taken_by == nurse


def test_only_the_pool_s_members_reach_the_chat(client_for, appointment, parent, nurse):
    outsider = TechnicianFactory()
    open_topic(client_for, appointment, parent, "medication")
    url = f"/appointments/{appointment.pk}/"

    assert client_for(nurse).get(url).status_code == HTTPStatus.OK
    assert client_for(outsider).get(url).status_code == HTTPStatus.NOT_FOUND
    take = client_for(outsider).post(
        f"/triage/chats/{appointment.pk}/take", HTTP_ACCEPT="application/json"
    )
    assert take.status_code == HTTPStatus.NOT_FOUND


def test_a_member_of_another_pool_does_not_reach_it(client_for, appointment, parent, pool_vet):
    open_topic(client_for, appointment, parent, "medication")  # Nursing, not Vets

    response = client_for(pool_vet).get(f"/appointments/{appointment.pk}/")

    assert response.status_code == HTTPStatus.NOT_FOUND


def test_a_vet_keeps_the_chat_and_later_topics_skip_the_pools(
    client_for, appointment, parent, vet, nurse
):
    open_topic(client_for, appointment, parent, "medication")

    response = client_for(vet).post(f"/triage/chats/{appointment.pk}/keep")
    open_topic(client_for, appointment, parent, "medical")

    assert response.status_code == HTTPStatus.FOUND
    route = chat_route(ChatRoute.objects.get(chat__appointment=appointment).chat_id)
    assert (route.category, route.pool_id, route.kept_by_id) == ("medical", None, vet.pk)
    assert needs_reply(vet=nurse).total == 0
    assert Message.objects.filter(
        message_type=Message.Type.SYSTEM, content__contains="keeps this conversation"
    ).exists()


def test_only_the_chat_s_vets_keep_it(client_for, appointment, parent, nurse):
    open_topic(client_for, appointment, parent, "medication")

    response = client_for(nurse).post(
        f"/triage/chats/{appointment.pk}/keep", HTTP_ACCEPT="application/json"
    )

    assert response.status_code == HTTPStatus.FORBIDDEN


def test_a_new_topic_routes_again(client_for, appointment, parent, nurse):
    open_topic(client_for, appointment, parent, "medication")
    client_for(nurse).post(f"/triage/chats/{appointment.pk}/take")

    open_topic(client_for, appointment, parent, "billing")

    route = chat_route(ChatRoute.objects.get(chat__appointment=appointment).chat_id)
    assert (route.category, route.pool_name, route.taken_by_id) == ("billing", "Front desk", None)


def test_the_pools_for_the_other_helpers(client_for, appointment, parent, nurse):
    nursing = pool(appointment, "Nursing")
    open_topic(client_for, appointment, parent, "medication")
    assert pool_waiting(nursing.pk) == 1
    assert pool_member_ids(nursing.pk) == [nurse.pk]

    send_message(nurse, appointment, "On it.")  # answered, not taken (no commit here)

    assert pool_waiting(nursing.pk) == 0


def test_a_new_clinic_starts_with_the_defaults():
    clinic = ClinicFactory()

    assert list(IntakeQuestion.objects.filter(clinic=clinic).values_list("text", flat=True)) == [
        "How is their breathing?",
        "Are they eating?",
        "How is their energy?",
        "How long has this been going on?",
    ]
    assert set(Pool.objects.filter(clinic=clinic).values_list("name", flat=True)) == {
        "Front desk",
        "Nursing",
        "Vets",
    }
    routes = dict(CategoryRoute.objects.filter(clinic=clinic).values_list("category", "pool__name"))
    assert routes == {
        "medical": "Vets",
        "medication": "Nursing",
        "appointment": "Front desk",
        "billing": "Front desk",
        "other": "Front desk",
    }


def test_the_chat_page_shows_the_pool_take_and_keep(client_for, appointment, parent, vet, nurse):
    open_topic(client_for, appointment, parent, "medication")
    url = f"/appointments/{appointment.pk}/"

    member_page = client_for(nurse).get(url).text
    vet_page = client_for(vet).get(url).text

    assert "waiting in <strong>Nursing</strong>" in member_page
    assert f'action="/triage/chats/{appointment.pk}/take"' in member_page
    assert "Keep this chat with me" not in member_page
    assert f'action="/triage/chats/{appointment.pk}/take"' not in vet_page
    assert "Keep this chat with me" in vet_page
