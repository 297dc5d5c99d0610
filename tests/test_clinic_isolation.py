"""Nothing crosses between clinics: a care team and a hand-over stay within the appointment's
clinic, leaving a clinic ends its access at once (an open socket too), and search, "Needs
reply", unread totals, the dashboard and the digest show a vet or technician only the clinics
they work at; a pet parent's own chats at several clinics are all theirs, each labelled.

The permission matrix (tests/test_permissions.py) covers every door, role and clinic.
"""

from datetime import timedelta
from http import HTTPStatus
from types import SimpleNamespace

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from accounts.models import User
from appointments.models import AppointmentMember
from chat.consumers import CLOSE_NOT_FOUND
from chat.models import Message
from chat.selectors import prescriptions_awaiting_acknowledgement
from notifications.emails import build
from notifications.selectors import needs_reply
from notifications.services import digest_claim
from tenancy.models import ClinicMembership
from tests.chat.test_consumers import (  # noqa: F401  (the fixture closes every socket)
    close_socket_connections,
    opened,
    post_message,
    session_cookie,
    socket,
)
from tests.factories import (
    AppointmentFactory,
    ClinicFactory,
    TechnicianFactory,
    VetFactory,
    first_clinic,
    send_message,
)

pytestmark = pytest.mark.django_db

WITHIN = 2  # seconds: how soon a socket of someone who left the clinic must close


@pytest.fixture
def hillside(db):
    return ClinicFactory(name="Hillside Animal Hospital", time_zone="America/New_York")


@pytest.fixture
def family(appointment, parent, vet, hillside):
    """Alex's Rex, seen at Riverside (the first clinic, by Dr. Foster) and at Hillside (by
    Dr. Hill), each chat with a message from Alex."""
    hill = VetFactory(name="Dr. Hill", clinics=[hillside])
    there = AppointmentFactory(clinic=hillside, veterinarian=hill, pet=appointment.pet)
    send_message(parent, appointment, "Rex is limping on his left leg")
    send_message(parent, there, "Rex is limping again after the walk")
    return SimpleNamespace(here=appointment, there=there, hill=hill, hillside=hillside)


def left_clinic(user: User, clinic) -> User:
    """The account after its membership of `clinic` ended, as its next request loads it."""
    ClinicMembership.objects.filter(user=user, clinic=clinic).delete()
    return User.objects.get(pk=user.pk)


@pytest.fixture
def vet_who_left(family, parent):
    """Dr. Moss saw Rex at both clinics, then left Hillside: still the Hillside appointment's
    recorded vet, no longer working there."""
    moss = VetFactory(name="Dr. Moss", clinics=[first_clinic(), family.hillside])
    here = AppointmentFactory(veterinarian=moss, pet=family.here.pet)
    there = AppointmentFactory(clinic=family.hillside, veterinarian=moss, pet=family.here.pet)
    send_message(parent, here, "Rex is limping at home")
    send_message(parent, there, "Rex is limping at the park")
    return SimpleNamespace(vet=left_clinic(moss, family.hillside), here=here, there=there)


# Care team and hand-over ----------------------------------------------------------------------


def test_the_care_team_and_hand_over_offer_only_the_clinics_people(
    client_for, family, vet, hillside
):
    TechnicianFactory(name="Sam Lee")
    TechnicianFactory(name="Kim Park", clinics=[hillside])
    VetFactory(name="Dr. Both", clinics=[first_clinic(), hillside])
    page = client_for(vet).get(f"/appointments/{family.here.pk}/").content.decode()
    team_form, hand_over_form = page.split('id="team-user"')[1].split('id="hand-over-to"')
    assert "Sam Lee" in team_form and "Dr. Both" in team_form
    assert "Kim Park" not in team_form and "Dr. Hill" not in team_form
    assert "Dr. Both" in hand_over_form
    assert "Dr. Hill" not in hand_over_form and "Kim Park" not in hand_over_form


@pytest.mark.parametrize("who", ["vet", "staff"])
def test_someone_of_another_clinic_is_refused_on_the_care_team(
    client_for, request, family, hillside, who
):
    nurse = TechnicianFactory(name="Kim Park", clinics=[hillside])
    response = client_for(request.getfixturevalue(who)).post(
        f"/appointments/{family.here.pk}/team/", {"user": str(nurse.pk)}
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Only the people of the appointment&#x27;s clinic" in response.content.decode()
    assert not AppointmentMember.objects.filter(user=nurse).exists()


def test_a_hand_over_to_a_vet_of_another_clinic_is_refused(client_for, family, vet):
    response = client_for(vet).post(
        f"/appointments/{family.here.pk}/hand-over/", {"to": str(family.hill.pk)}
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Only the vets of the appointment&#x27;s clinic" in response.content.decode()
    family.here.refresh_from_db()
    assert family.here.veterinarian_id == vet.pk
    assert not Message.objects.filter(message_type=Message.Type.SYSTEM).exists()


def test_a_member_of_both_clinics_can_join_either_team(client_for, family, vet):
    both = TechnicianFactory(name="Kim Park", clinics=[first_clinic(), family.hillside])
    response = client_for(vet).post(f"/appointments/{family.here.pk}/team/", {"user": str(both.pk)})
    assert response.status_code == HTTPStatus.FOUND
    assert AppointmentMember.objects.filter(appointment=family.here, user=both).exists()


# Leaving a clinic -------------------------------------------------------------------------------


def test_leaving_a_clinic_closes_its_doors_at_once(client_for, family, vet):
    ClinicMembership.objects.create(clinic=family.hillside, user=vet)
    AppointmentMember.objects.create(appointment=family.there, user=vet)
    client = client_for(vet)
    assert client.get(f"/appointments/{family.there.pk}/").status_code == HTTPStatus.OK
    ClinicMembership.objects.filter(user=vet, clinic=family.hillside).delete()
    # the same signed-in session, the next request
    assert client.get(f"/appointments/{family.there.pk}/").status_code == HTTPStatus.NOT_FOUND
    messages = client.get("/api/appointment-chat/messages", {"appointmentId": family.there.pk})
    assert messages.status_code == HTTPStatus.NOT_FOUND
    assert client.get(f"/appointments/{family.here.pk}/").status_code == HTTPStatus.OK


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_leaving_a_clinic_closes_the_open_socket_of_its_chat(appointment, parent, vet):
    hillside = await database_sync_to_async(ClinicFactory)(name="Hillside Animal Hospital")
    await ClinicMembership.objects.acreate(clinic=hillside, user=vet)
    there = await database_sync_to_async(AppointmentFactory)(
        clinic=hillside, veterinarian=vet, pet=appointment.pet
    )
    there_socket = await opened(there.pk, vet)
    here_socket = await opened(appointment.pk, vet)
    # when the vet's membership of Hillside ends
    await ClinicMembership.objects.filter(user=vet, clinic=hillside).adelete()
    # then the Hillside chat's socket closes as for an outsider, the Riverside one stays
    output = await there_socket.receive_output(timeout=WITHIN)
    assert output == {"type": "websocket.close", "code": CLOSE_NOT_FOUND}, output
    await database_sync_to_async(post_message)(parent, appointment, "Still limping")
    event = await here_socket.receive_json_from(timeout=WITHIN)
    assert event["message"]["content"] == "Still limping"
    # and a new socket to Hillside's chat is refused
    cookie = await database_sync_to_async(session_cookie)(vet)
    again = socket(there.pk, cookie=cookie)
    connected, _ = await again.connect()
    assert connected
    output = await again.receive_output(timeout=WITHIN)
    assert output == {"type": "websocket.close", "code": CLOSE_NOT_FOUND}, output


# Search ------------------------------------------------------------------------------------------


def search(client, q: str = "limping") -> list[dict]:
    response = client.get("/api/appointment-chat/search", {"q": q})
    assert response.status_code == HTTPStatus.OK, response.content
    return response.json()["results"]


def test_a_pet_parents_search_finds_every_clinic_each_labelled(client_for, family, parent):
    results = search(client_for(parent))
    assert {(hit["appointmentId"], hit["clinic"]["name"]) for hit in results} == {
        (str(family.here.pk), first_clinic().name),
        (str(family.there.pk), "Hillside Animal Hospital"),
    }
    assert {hit["clinic"]["id"] for hit in results} == {first_clinic().pk, family.hillside.pk}
    page = client_for(parent).get("/search/", {"q": "limping"}).content.decode()
    assert f"at {first_clinic().name}" in page and "at Hillside Animal Hospital" in page


def test_a_vets_search_stays_in_the_clinics_they_work_at(client_for, vet_who_left, family, vet):
    results = search(client_for(vet_who_left.vet))
    assert [hit["appointmentId"] for hit in results] == [str(vet_who_left.here.pk)]
    assert [hit["appointmentId"] for hit in search(client_for(vet))] == [str(family.here.pk)]


def test_a_vet_of_two_clinics_finds_both_each_labelled(client_for, family, parent):
    both = VetFactory(name="Dr. Both", clinics=[first_clinic(), family.hillside])
    AppointmentMember.objects.create(appointment=family.here, user=both)
    AppointmentMember.objects.create(appointment=family.there, user=both)
    names = {hit["clinic"]["name"] for hit in search(client_for(both))}
    assert names == {first_clinic().name, "Hillside Animal Hospital"}


# Needs reply, unread totals, the dashboard, the digest -------------------------------------------


def test_needs_reply_and_unread_total_leave_out_a_clinic_the_vet_left(client_for, vet_who_left):
    moss = vet_who_left.vet
    assert [w.appointment_id for w in needs_reply(vet=moss).waiting] == [vet_who_left.here.pk]
    total = client_for(moss).get("/api/notifications/unread/").json()["unreadTotal"]
    assert total == 1
    dashboard = client_for(moss).get("/dashboard/").content.decode()
    assert "limping at the park" not in dashboard
    assert str(vet_who_left.there.pk) not in dashboard


def test_a_vet_of_two_clinics_sees_both_waiting_each_labelled(client_for, family):
    both = VetFactory(name="Dr. Both", clinics=[first_clinic(), family.hillside])
    AppointmentMember.objects.create(appointment=family.here, user=both)
    AppointmentMember.objects.create(appointment=family.there, user=both)
    inbox = needs_reply(vet=User.objects.get(pk=both.pk))
    assert inbox.several_clinics
    assert {w.clinic_name for w in inbox.waiting} == {
        first_clinic().name,
        "Hillside Animal Hospital",
    }
    assert client_for(both).get("/api/notifications/unread/").json()["unreadTotal"] == 2
    dashboard = client_for(both).get("/dashboard/").content.decode()
    needs_reply_section = dashboard.split('id="needs-reply-heading"')[1].split("</section>")[0]
    assert "Hillside Animal Hospital" in needs_reply_section
    assert first_clinic().name in needs_reply_section


def test_a_vet_of_one_clinic_sees_no_clinic_labels(family, vet):
    inbox = needs_reply(vet=vet)
    assert [w.appointment_id for w in inbox.waiting] == [family.here.pk]
    assert not inbox.several_clinics


def test_the_digest_leaves_out_a_clinic_the_vet_left(vet_who_left):
    recorded, _ = digest_claim(user_id=vet_who_left.vet.pk)
    assert [email.chat.appointment_id for email in recorded] == [vet_who_left.here.pk]


def test_a_digest_of_two_clinics_labels_each_chat(family):
    both = VetFactory(name="Dr. Both", clinics=[first_clinic(), family.hillside])
    AppointmentMember.objects.create(appointment=family.here, user=both)
    AppointmentMember.objects.create(appointment=family.there, user=both)
    recorded, _ = digest_claim(user_id=both.pk)
    assert len(recorded) == 2
    email = build(both, recorded)
    text = email.body
    assert "Hillside Animal Hospital" in text and first_clinic().name in text


def test_unacknowledged_prescriptions_leave_out_a_clinic_the_vet_left(vet_who_left):
    moss = vet_who_left.vet
    for appointment in (vet_who_left.here, vet_who_left.there):
        ClinicMembership.objects.get_or_create(clinic=appointment.clinic, user=moss)
        moss = User.objects.get(pk=moss.pk)
        send_message(
            moss,
            appointment,
            "",
            message_type=Message.Type.PRESCRIPTION,
            payload={"medication": "Meloxicam"},
        )
    moss = left_clinic(moss, vet_who_left.there.clinic)
    later = timezone.now() + timedelta(days=30)
    listed = prescriptions_awaiting_acknowledgement(vet=moss, now=later)
    assert [row.appointment_id for row in listed] == [vet_who_left.here.pk]
