"""Access ends on every open socket at once, whichever door ended it, and even when the push
that says so is lost: every event passes the access versions' guard (chat.access_versions)."""

import asyncio
import time
from http import HTTPStatus

import pytest
from channels.db import database_sync_to_async
from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.test import override_settings

from accounts.middleware import ACTIVE_AT, idle_limit
from accounts.models import User
from appointments.models import AppointmentMember
from appointments.services import team_member_remove
from chat import push
from chat.consumers import CLOSE_NOT_FOUND, CLOSE_UNAUTHENTICATED
from tests.care_team import team_member
from tests.chat.test_consumers import (  # noqa: F401  (the fixture closes every socket)
    close_socket_connections,
    opened,
    post_message,
    session_cookie,
    socket,
)
from tests.factories import PASSWORD, PetFactory, PetParentFactory, VetFactory
from tests.signin import signed_in_client
from tests.test_admin import appointment_form

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

WITHIN = 2  # seconds: how soon every socket of a user who lost access must close


async def closed_with(communicator, code: int) -> None:
    output = await communicator.receive_output(timeout=WITHIN)
    assert output == {"type": "websocket.close", "code": code}, output


def admin_post(user: User, url: str, data: dict) -> None:
    response = signed_in_client(user).post(url, data)
    assert response.status_code == HTTPStatus.FOUND, response.content[-3000:]


@pytest.fixture
def lost_pushes(monkeypatch):
    """The push that tells sockets to ask again never arrives."""
    monkeypatch.setattr(push, "recheck_access_of_user", lambda user_id: None)
    monkeypatch.setattr(push, "close_sockets_of_session", lambda session_key: None)


# From the admin, through the pages' services ---------------------------------------------------


async def test_removing_a_care_team_row_in_the_admin_closes_the_members_socket(
    appointment, staff, parent
):
    nurse = await database_sync_to_async(team_member)(appointment)
    member = await AppointmentMember.objects.aget(appointment=appointment, user=nurse)
    nurse_socket = await opened(appointment.pk, nurse)
    form = appointment_form(
        appointment,
        **{
            "members-TOTAL_FORMS": "1",
            "members-INITIAL_FORMS": "1",
            "members-0-id": str(member.pk),
            "members-0-appointment": str(appointment.pk),
            "members-0-user": str(nurse.pk),
            "members-0-DELETE": "on",
        },
    )
    url = f"/admin/appointments/appointment/{appointment.pk}/change/"
    await database_sync_to_async(admin_post)(staff, url, form)
    await closed_with(nurse_socket, CLOSE_NOT_FOUND)
    assert not await AppointmentMember.objects.filter(appointment=appointment).aexists()


async def test_a_care_team_row_added_in_the_admin_is_recorded_as_the_staff_members(
    appointment, staff
):
    nurse = await database_sync_to_async(team_member)(appointment)
    await AppointmentMember.objects.filter(user=nurse).adelete()
    form = appointment_form(
        appointment,
        **{
            "members-TOTAL_FORMS": "1",
            "members-0-appointment": str(appointment.pk),
            "members-0-user": str(nurse.pk),
        },
    )
    url = f"/admin/appointments/appointment/{appointment.pk}/change/"
    await database_sync_to_async(admin_post)(staff, url, form)
    member = await AppointmentMember.objects.aget(appointment=appointment, user=nurse)
    assert member.added_by_id == staff.pk


async def test_changing_the_vet_in_the_admin_is_a_hand_over(appointment, staff, vet, parent):
    new_vet = await database_sync_to_async(VetFactory)(name="Dr. Ravi Patel")
    vet_socket = await opened(appointment.pk, vet)
    parent_socket = await opened(appointment.pk, parent)
    url = f"/admin/appointments/appointment/{appointment.pk}/change/"
    form = appointment_form(appointment, veterinarian=str(new_vet.pk))
    await database_sync_to_async(admin_post)(staff, url, form)
    # the previous vet's socket closes; the chat records the hand-over, as the page's does
    await closed_with(vet_socket, CLOSE_NOT_FOUND)
    entry = await parent_socket.receive_json_from(timeout=WITHIN)
    assert entry["type"] == "message"
    assert f"from {vet.display_name} to Dr. Ravi Patel" in entry["message"]["content"]
    await appointment.arefresh_from_db()
    assert appointment.veterinarian_id == new_vet.pk


async def test_a_pet_given_to_another_owner_in_the_admin_takes_its_chats_along(
    appointment, staff, parent
):
    parent_socket = await opened(appointment.pk, parent)
    other = await database_sync_to_async(PetParentFactory)()
    pet = appointment.pet
    form = {
        "name": pet.name,
        "species": pet.species,
        "breed": pet.breed,
        "owner": str(other.pk),
        "date_of_birth": "",
        "co_ownerships-TOTAL_FORMS": "0",
        "co_ownerships-INITIAL_FORMS": "0",
    }
    url = f"/admin/appointments/pet/{pet.pk}/change/"
    await database_sync_to_async(admin_post)(staff, url, form)
    await closed_with(parent_socket, CLOSE_NOT_FOUND)
    await appointment.arefresh_from_db()
    assert appointment.pet_parent_id == other.pk


async def test_an_appointment_moved_to_another_pet_parent_in_the_admin_closes_the_previous(
    appointment, staff, parent
):
    parent_socket = await opened(appointment.pk, parent)
    other_pet = await database_sync_to_async(PetFactory)()
    url = f"/admin/appointments/appointment/{appointment.pk}/change/"
    form = appointment_form(appointment, pet_parent=str(other_pet.owner_id), pet=str(other_pet.pk))
    await database_sync_to_async(admin_post)(staff, url, form)
    await closed_with(parent_socket, CLOSE_NOT_FOUND)


# The account: role, password, sign-in's end -----------------------------------------------------


def saved(user: User, **fields) -> None:
    for name, value in fields.items():
        setattr(user, name, value)
    user.save()


async def test_a_role_changed_closes_the_sockets_it_no_longer_opens(appointment):
    nurse = await database_sync_to_async(team_member)(appointment)
    nurse_socket = await opened(appointment.pk, nurse)
    await database_sync_to_async(saved)(nurse, role=User.Role.PET_PARENT)
    await closed_with(nurse_socket, CLOSE_NOT_FOUND)


async def test_a_password_changed_elsewhere_closes_this_sessions_socket(appointment, parent):
    parent_socket = await opened(appointment.pk, parent)

    def change_password() -> None:
        client = signed_in_client(parent)
        response = client.post(
            "/accounts/password/change/",
            {
                "oldpassword": PASSWORD,
                "password1": "a new and long passphrase",
                "password2": "a new and long passphrase",
            },
        )
        assert response.status_code == HTTPStatus.FOUND, response.content[-2000:]

    await database_sync_to_async(change_password)()
    await closed_with(parent_socket, CLOSE_UNAUTHENTICATED)


async def test_a_password_reset_closes_every_socket(appointment, parent):
    parent_socket = await opened(appointment.pk, parent)

    def reset() -> None:
        parent.set_password("reset to something new")
        parent.save()

    await database_sync_to_async(reset)()
    await closed_with(parent_socket, CLOSE_UNAUTHENTICATED)


async def test_a_socket_closes_when_its_sign_in_idles_out_without_a_ping(appointment, vet):
    cookie = await database_sync_to_async(session_cookie)(vet)

    def almost_idle() -> None:
        from importlib import import_module

        session: SessionBase = import_module(settings.SESSION_ENGINE).SessionStore(cookie)
        session[ACTIVE_AT] = int(time.time() - idle_limit(vet).total_seconds() + 1)
        session.save()

    await database_sync_to_async(almost_idle)()
    communicator = socket(appointment.pk, cookie=cookie)
    connected, _ = await communicator.connect()
    assert connected and (await communicator.receive_json_from())["type"] == "hello"
    output = await communicator.receive_output(timeout=3)
    assert output == {"type": "websocket.close", "code": CLOSE_UNAUTHENTICATED}


# When the push is lost --------------------------------------------------------------------------


async def test_no_event_reaches_a_removed_member_whose_close_push_was_lost(
    appointment, vet, parent, lost_pushes
):
    nurse = await database_sync_to_async(team_member)(appointment)
    nurse_socket = await opened(appointment.pk, nurse)
    vet_socket = await opened(appointment.pk, vet)
    await database_sync_to_async(team_member_remove)(
        appointment_id=appointment.pk, by=vet, user_id=nurse.pk
    )
    await database_sync_to_async(post_message)(parent, appointment, "Biscuit's results?")
    # the message reaches the vet, and the nurse's socket closes instead of hearing it
    assert (await vet_socket.receive_json_from(timeout=WITHIN))["type"] == "message"
    await closed_with(nurse_socket, CLOSE_NOT_FOUND)


async def test_no_event_reaches_a_deactivated_user_whose_close_push_was_lost(
    appointment, vet, parent, lost_pushes
):
    parent_socket = await opened(appointment.pk, parent)
    await database_sync_to_async(saved)(parent, is_active=False)
    await database_sync_to_async(post_message)(vet, appointment, "Bring him in at 3.")
    await closed_with(parent_socket, CLOSE_UNAUTHENTICATED)


async def test_an_unchanged_chat_keeps_delivering(appointment, vet, parent):
    parent_socket = await opened(appointment.pk, parent)
    for text in ("one", "two"):
        await database_sync_to_async(post_message)(vet, appointment, text)
        event = await parent_socket.receive_json_from(timeout=WITHIN)
        assert event["message"]["content"] == text


# Longer than the channel layer remembers a group's member -----------------------------------------


async def test_a_socket_open_past_group_expiry_still_hears_its_chat(
    appointment, vet, parent, monkeypatch
):
    layers = {
        "default": {
            **settings.CHANNEL_LAYERS["default"],
            "CONFIG": {**settings.CHANNEL_LAYERS["default"]["CONFIG"], "group_expiry": 2},
        }
    }
    with override_settings(CHANNEL_LAYERS=layers):
        # the pushing thread's layer forgets members after 2 s as well
        monkeypatch.setattr(push, "_pusher", push._Pusher())
        parent_socket = await opened(appointment.pk, parent)
        await asyncio.sleep(5)
        await database_sync_to_async(post_message)(vet, appointment, "Still there?")
        event = await parent_socket.receive_json_from(timeout=WITHIN)
        assert event["message"]["content"] == "Still there?"
        await parent_socket.disconnect()
