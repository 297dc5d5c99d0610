import re
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.utils import timezone

from appointments.models import Appointment
from chat.models import Chat, Message
from tests.factories import PetFactory, first_clinic, send_message

pytestmark = pytest.mark.django_db

# The appointment form's care team inline, empty.
NO_MEMBERS = {"members-TOTAL_FORMS": "0", "members-INITIAL_FORMS": "0"}


@pytest.mark.parametrize(
    "url",
    [
        "/admin/",
        "/admin/accounts/user/?q=alex&role__exact=pet_parent",
        "/admin/appointments/pet/?q=rex",
        "/admin/appointments/appointment/?status__exact=scheduled&q=jane",
        "/admin/chat/chat/?q=alex",
        "/admin/chat/message/?q=hello&message_type__exact=text",
        "/admin/chat/readstate/",
        "/admin/audit/auditevent/?q=alex&action__exact=chat.read",
        "/admin/section/clinic/",
        "/admin/accounts/user/add/",
        "/admin/appointments/appointment/add/",
    ],
)
def test_admin_pages_work_for_staff(client_for, staff, appointment, url):
    send_message(appointment.pet_parent, appointment, "hello")
    response = client_for(staff).get(url)
    assert response.status_code == HTTPStatus.OK


@pytest.mark.parametrize("who", ["parent", "vet"])
def test_participants_do_not_reach_the_admin(request, client_for, who):
    response = client_for(request.getfixturevalue(who)).get("/admin/")
    assert response.status_code == HTTPStatus.FOUND
    assert "/admin/login/" in response.url


def test_an_appointment_created_in_the_admin_opens_with_its_chat(client_for, staff, vet):
    pet = PetFactory()
    starts = timezone.localtime() + timedelta(days=2)
    response = client_for(staff).post(
        "/admin/appointments/appointment/add/",
        {
            "clinic": first_clinic().pk,
            "pet_parent": pet.owner.pk,
            "pet": pet.pk,
            "veterinarian": vet.pk,
            "starts_at_0": starts.strftime("%Y-%m-%d"),
            "starts_at_1": starts.strftime("%H:%M:%S"),
            "duration": "00:30:00",
            "status": "scheduled",
            "reason": "Vaccination",
            **NO_MEMBERS,
        },
    )
    assert response.status_code == HTTPStatus.FOUND, response.content.decode()[:3000]
    appointment = Appointment.objects.get(pet=pet)
    page = client_for(pet.owner).get(f"/appointments/{appointment.pk}/")
    assert 'id="chat-data"' in page.text
    assert Chat.objects.filter(appointment=appointment).count() == 1


def test_admin_refuses_an_appointment_for_someone_elses_pet(client_for, staff, vet, parent):
    pet = PetFactory()
    starts = timezone.localtime() + timedelta(days=2)
    response = client_for(staff).post(
        "/admin/appointments/appointment/add/",
        {
            "pet_parent": parent.pk,
            "pet": pet.pk,
            "veterinarian": vet.pk,
            "starts_at_0": starts.strftime("%Y-%m-%d"),
            "starts_at_1": starts.strftime("%H:%M:%S"),
            "duration": "00:30:00",
            "status": "scheduled",
            **NO_MEMBERS,
        },
    )
    assert response.status_code == HTTPStatus.OK
    assert "belongs to someone else" in response.text
    assert not Appointment.objects.filter(pet=pet).exists()


def test_messages_cannot_be_changed_or_deleted_in_the_admin(client_for, staff, appointment):
    message = send_message(appointment.pet_parent, appointment, "record")
    client = client_for(staff)
    page = client.get(f"/admin/chat/message/{message.id}/change/")
    assert page.status_code == HTTPStatus.OK
    assert 'name="_save"' not in page.text
    client.post(f"/admin/chat/message/{message.id}/change/", {"content": "edited"})
    delete = client.post(f"/admin/chat/message/{message.id}/delete/", {"post": "yes"})
    assert delete.status_code == HTTPStatus.FORBIDDEN
    assert Message.objects.get(pk=message.id).content == "record"


def test_staff_see_every_version_of_an_edited_message(client_for, staff, appointment):
    message = send_message(appointment.pet_parent, appointment, "first words")
    edited = client_for(appointment.pet_parent).patch(
        f"/api/appointment-chat/messages/{message.id}",
        {"content": "second words"},
        content_type="application/json",
    )
    assert edited.status_code == HTTPStatus.OK
    page = client_for(staff).get(f"/admin/chat/message/{message.id}/change/").text
    assert "first words" in page and "second words" in page


def test_staff_reopen_a_closed_chat_from_the_admin(client_for, staff, appointment):
    send_message(appointment.pet_parent, appointment, "hello")
    chat = Chat.objects.get()
    response = client_for(staff).post(
        "/admin/chat/chat/",
        {"action": "reopen_for_follow_up", "_selected_action": [chat.pk]},
    )
    assert response.status_code == HTTPStatus.FOUND
    chat.refresh_from_db()
    assert chat.reopened_until is not None and chat.reopened_until > timezone.now()


def appointment_form(appointment, **changes) -> dict:
    """The appointment's admin change form as it stands, with these fields changed."""
    local = timezone.localtime(appointment.starts_at)
    return {
        "clinic": str(appointment.clinic_id),
        "pet_parent": str(appointment.pet_parent_id),
        "pet": str(appointment.pet_id),
        "veterinarian": str(appointment.veterinarian_id),
        "starts_at_0": local.strftime("%Y-%m-%d"),
        "starts_at_1": local.strftime("%H:%M:%S"),
        "duration": "00:30:00",
        "status": "scheduled",
        "reason": "",
        "members-TOTAL_FORMS": "0",
        "members-INITIAL_FORMS": "0",
        "transcripts-TOTAL_FORMS": "0",
        "transcripts-INITIAL_FORMS": "0",
        "texts-TOTAL_FORMS": "0",
        "texts-INITIAL_FORMS": "0",
        **changes,
    }


def test_staff_put_a_nurse_on_the_care_team_in_the_admin(client_for, staff, appointment):
    from appointments.models import AppointmentMember
    from tests.factories import TechnicianFactory

    nurse = TechnicianFactory()
    form = appointment_form(
        appointment,
        **{"members-TOTAL_FORMS": "1", "members-0-user": str(nurse.pk)},
    )
    client = client_for(staff)
    response = client.post(f"/admin/appointments/appointment/{appointment.pk}/change/", form)
    assert response.status_code == HTTPStatus.FOUND, response.content.decode()[-3000:]
    member = AppointmentMember.objects.get(appointment=appointment)
    assert (member.user, member.added_by) == (nurse, staff)
    page = client.get(f"/admin/appointments/appointment/{appointment.pk}/change/")
    assert "care team member" in page.text.lower()


def test_staff_giving_an_appointment_to_another_vet_is_recorded_in_its_chat(
    client_for, staff, appointment, vet
):
    from appointments.models import AppointmentMember
    from tests.factories import VetFactory

    on_call = VetFactory(name="Priya Patel")
    AppointmentMember.objects.create(appointment=appointment, user=on_call)
    # the team's rows are left as they are
    form = appointment_form(appointment, veterinarian=str(on_call.pk))
    response = client_for(staff).post(
        f"/admin/appointments/appointment/{appointment.pk}/change/", form
    )
    assert response.status_code == HTTPStatus.FOUND, response.content.decode()[-3000:]

    entry = Message.objects.get(chat__appointment=appointment)
    assert entry.message_type == Message.Type.SYSTEM
    assert entry.content.startswith(
        f"{staff.display_name} handed this conversation from {vet.display_name} to "
        f"{on_call.display_name}, "
    )
    # the vet it now is is no longer also on its care team
    assert not AppointmentMember.objects.filter(appointment=appointment).exists()
    # saving again without a change of vet records nothing more
    client_for(staff).post(f"/admin/appointments/appointment/{appointment.pk}/change/", form)
    assert Message.objects.filter(chat__appointment=appointment).count() == 1


def section_names(html: str) -> list[str]:
    return re.findall(r'class="section"[^>]*>([^<]+)</a>', html)


def test_the_admin_index_groups_models_by_what_staff_come_for(client_for, staff):
    index = client_for(staff).get("/admin/")
    assert index.status_code == HTTPStatus.OK
    assert section_names(index.text) == [
        "People",
        "Clinic",
        "Conversations",
        "Record",
        "Notifications",
        "Background jobs",
    ]
    people = index.text.split('class="app-people module')[1].split("</table>")[0]
    for model in ("Users", "Email addresses", "Authenticators", "Groups"):
        assert f">{model}</a>" in people
    record = index.text.split('class="app-record module')[1].split("</table>")[0]
    assert ">Audit events</a>" in record
    clinic = index.text.split('class="app-clinic module')[1].split("</table>")[0]
    for model in ("Clinics", "Appointments", "Red flag signs", "Canned answers"):
        assert f">{model}</a>" in clinic
    conversations = index.text.split('class="app-conversations module')[1].split("</table>")[0]
    assert ">Calls</a>" in conversations


def test_a_section_has_a_page_of_its_own(client_for, staff):
    client = client_for(staff)
    page = client.get("/admin/section/people/")
    assert page.status_code == HTTPStatus.OK
    assert "People administration" in page.text
    assert ">Email addresses</a>" in page.text and ">Appointments</a>" not in page.text
    assert client.get("/admin/section/nothing/").status_code == HTTPStatus.NOT_FOUND
    # an app's own page is still the app's
    assert ">Messages</a>" in client.get("/admin/chat/").text


def test_the_navigation_beside_a_list_shows_the_same_sections(client_for, staff):
    page = client_for(staff).get("/admin/chat/message/")
    assert section_names(page.text)[:4] == ["People", "Clinic", "Conversations", "Record"]
