"""The care team: nurses answer beside the vet, with their role shown; the vet hands the chat
over and the record says so; each member reads for themselves, and the pet parent sees who."""

from http import HTTPStatus

import pytest
from procrastinate.contrib.django.models import ProcrastinateJob

from appointments.models import Appointment, AppointmentMember
from chat.models import Message
from chat.selectors import unread_counts
from chat.services import chat_get_or_create
from notifications.selectors import needs_reply, unread_total
from notifications.services import unread_email_claim
from tests.care_team import co_owner, handed_over, team_member
from tests.factories import TechnicianFactory, VetFactory, send_message

pytestmark = pytest.mark.django_db

URL = "/api/appointment-chat/messages"


def latest(client, appointment):
    response = client.get(URL, {"appointmentId": str(appointment.pk)})
    assert response.status_code == HTTPStatus.OK, response.content[:500]
    return response.json()


def test_a_nurse_writes_with_their_role_beside_their_name(client_for, appointment, parent):
    nurse = team_member(appointment)
    response = client_for(nurse).post(
        URL,
        {"appointmentId": str(appointment.pk), "content": "How is Rex eating?"},
        content_type="application/json",
    )
    assert response.status_code == HTTPStatus.CREATED
    message = latest(client_for(parent), appointment)["messages"][-1]
    assert (message["senderName"], message["senderRole"]) == ("Sam Lee", "Nurse")
    page = client_for(parent).get(f"/appointments/{appointment.pk}/").content.decode()
    assert "Sam Lee" in page and "· Nurse" in page


def test_a_technician_cannot_prescribe(client_for, appointment):
    nurse = team_member(appointment)
    response = client_for(nurse).post(
        URL,
        {
            "appointmentId": str(appointment.pk),
            "content": "",
            "messageType": "prescription",
            "payload": {"medication": "Meloxicam"},
        },
        content_type="application/json",
    )
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json()["error"]["code"] == "message_type_not_allowed"


def test_a_vet_on_the_team_may_prescribe(appointment):
    locum = VetFactory()
    AppointmentMember.objects.create(appointment=appointment, user=locum)
    row = send_message(
        locum, appointment, "", message_type="prescription", payload={"medication": "Meloxicam"}
    )
    assert row.message_type == "prescription"


def test_the_vet_adds_and_removes_a_team_member_on_the_page(client_for, appointment, vet):
    nurse = TechnicianFactory(name="Sam Lee", job_title="Nurse")
    client = client_for(vet)
    page = client.get(f"/appointments/{appointment.pk}/").content.decode()
    assert "No one else is on this appointment" in page and "Sam Lee · Nurse" in page
    response = client.post(f"/appointments/{appointment.pk}/team/", {"user": str(nurse.pk)})
    assert response.status_code == HTTPStatus.FOUND
    assert AppointmentMember.objects.filter(appointment=appointment, user=nurse).exists()
    # adding twice is refused on the page, the choice kept
    again = client.post(f"/appointments/{appointment.pk}/team/", {"user": str(nurse.pk)})
    assert again.status_code == HTTPStatus.CONFLICT
    assert "already on the care team" in again.content.decode()
    removed = client.post(f"/appointments/{appointment.pk}/team/{nurse.pk}/remove/")
    assert removed.status_code == HTTPStatus.FOUND
    assert not AppointmentMember.objects.filter(appointment=appointment).exists()


@pytest.mark.parametrize("who", ["parent", "technician", "other_vet"])
def test_only_the_vet_and_staff_change_the_team(client_for, appointment, request, who):
    user = team_member(appointment) if who == "technician" else request.getfixturevalue(who)
    outsider = TechnicianFactory()
    response = client_for(user).post(
        f"/appointments/{appointment.pk}/team/", {"user": str(outsider.pk)}
    )
    expected = HTTPStatus.NOT_FOUND if who == "other_vet" else HTTPStatus.FORBIDDEN
    assert response.status_code == expected
    assert not AppointmentMember.objects.filter(user=outsider).exists()


def test_staff_add_a_member_from_the_appointment_page(client_for, appointment, staff):
    nurse = TechnicianFactory()
    response = client_for(staff).post(
        f"/appointments/{appointment.pk}/team/", {"user": str(nurse.pk)}
    )
    assert response.status_code == HTTPStatus.FOUND
    assert AppointmentMember.objects.filter(appointment=appointment, user=nurse).exists()


def test_a_pet_parent_cannot_be_put_on_the_team(client_for, appointment, vet, other_parent):
    response = client_for(vet).post(
        f"/appointments/{appointment.pk}/team/", {"user": str(other_parent.pk)}
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert not AppointmentMember.objects.exists()


# Hand-over ------------------------------------------------------------------------------------


def test_the_hand_over_is_recorded_in_the_chat(client_for, appointment, vet, parent):
    new = VetFactory(name="Dr. Ravi Patel")
    response = client_for(vet).post(
        f"/appointments/{appointment.pk}/hand-over/", {"to": str(new.pk)}
    )
    # the previous vet, no longer on it, is sent home
    assert response.status_code == HTTPStatus.FOUND and response["Location"] == "/"
    appointment.refresh_from_db()
    assert appointment.veterinarian == new
    entry = latest(client_for(parent), appointment)["messages"][-1]
    assert entry["messageType"] == "system"
    assert entry["content"].startswith(
        "Dr. Jane Foster handed this conversation to Dr. Ravi Patel, "
    )


def test_a_hand_over_without_a_vet_is_refused_with_the_form_kept(client_for, appointment, vet):
    VetFactory()
    url = f"/appointments/{appointment.pk}/hand-over/"
    response = client_for(vet).post(url, {"to": "", "keep": "on"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    page = response.content.decode()
    assert "Choose an active veterinarian." in page
    assert 'id="hand-over-keep" name="keep" checked' in page


def test_handing_over_to_the_vet_already_on_it_is_a_conflict(client_for, appointment, vet):
    url = f"/appointments/{appointment.pk}/hand-over/"
    response = client_for(vet).post(url, {"to": str(vet.pk)})
    assert response.status_code == HTTPStatus.CONFLICT


def test_after_a_hand_over_the_new_vet_is_the_one_notified(appointment, parent, vet):
    previous, new = handed_over(appointment)
    chat = chat_get_or_create(appointment_id=appointment.pk)
    ProcrastinateJob.objects.all().delete()
    send_message(parent, appointment, "Is Rex due a booster?")
    locks = set(ProcrastinateJob.objects.values_list("queueing_lock", flat=True))
    assert locks == {f"unread:{new.pk}:{chat.pk}"}
    # the new vet's "Needs reply" holds it, the previous vet's does not
    assert [w.appointment_id for w in needs_reply(vet=new).waiting] == [appointment.pk]
    assert needs_reply(vet=previous).waiting == []
    assert unread_total(user=previous) == 0
    # and a job queued for the previous vet before the hand-over sends nothing now
    assert unread_email_claim(user_id=previous.pk, chat_id=chat.pk).email is None


def test_a_vet_kept_on_the_team_still_reads(client_for, appointment, vet):
    previous, new = handed_over(appointment, keep_on_team=True)
    assert latest(client_for(previous), appointment)["messages"][-1]["messageType"] == "system"
    appointment = Appointment.objects.get(pk=appointment.pk)
    assert appointment.veterinarian == new


# Reading --------------------------------------------------------------------------------------


def test_each_member_has_their_own_cursor_and_count(client_for, appointment, parent, vet):
    nurse = team_member(appointment)
    send_message(parent, appointment, "one")
    send_message(parent, appointment, "two")
    latest(client_for(nurse), appointment)  # the nurse reads
    assert unread_counts(user=nurse, appointment_ids=[appointment.pk]) == {}
    assert unread_counts(user=vet, appointment_ids=[appointment.pk]) == {appointment.pk: 2}
    assert unread_total(user=vet) == 2


def test_the_parent_sees_who_on_the_team_read_their_message(client_for, appointment, parent):
    nurse = team_member(appointment)
    send_message(parent, appointment, "one")
    before = latest(client_for(parent), appointment)
    assert before["messages"][-1]["isRead"] is False
    latest(client_for(nurse), appointment)
    after = latest(client_for(parent), appointment)
    assert after["messages"][-1]["isRead"] is True
    assert after["messages"][-1]["readBy"] == "Sam Lee"
    assert (after["otherLastReadSeq"], after["otherReaderName"]) == (1, "Sam Lee")
    page = client_for(parent).get(f"/appointments/{appointment.pk}/").content.decode()
    assert "Read by Sam Lee" in page


def test_a_teammate_reading_does_not_mark_the_vets_message_read(client_for, appointment, vet):
    nurse = team_member(appointment)
    send_message(vet, appointment, "to the parent")
    latest(client_for(nurse), appointment)
    assert latest(client_for(vet), appointment)["messages"][-1]["isRead"] is False


def test_needs_reply_counts_a_co_owner_and_a_nurse_answers_for_the_clinic(appointment, vet):
    robin = co_owner(appointment)
    nurse = team_member(appointment)
    send_message(robin, appointment, "Rex is limping")
    assert [w.appointment_id for w in needs_reply(vet=vet).waiting] == [appointment.pk]
    assert [w.appointment_id for w in needs_reply(vet=nurse).waiting] == [appointment.pk]
    send_message(nurse, appointment, "Bring him in at four")
    assert needs_reply(vet=vet).waiting == []
    assert Message.objects.filter(sender=nurse).count() == 1


def test_the_composer_offers_prescriptions_to_vets_only(client_for, appointment):
    nurse = team_member(appointment)
    locum = VetFactory()
    AppointmentMember.objects.create(appointment=appointment, user=locum)
    page = f"/appointments/{appointment.pk}/"
    assert 'value="prescription"' not in client_for(nurse).get(page).content.decode()
    assert 'value="prescription"' in client_for(locum).get(page).content.decode()
