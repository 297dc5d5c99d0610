"""Staff read a chat in the admin as a conversation: the whole record, every version, and each
reading written to the audit trail."""

from http import HTTPStatus

import pytest
from django.contrib.auth.models import Permission

from audit.models import AuditEvent
from chat.models import Chat, Message
from tests.factories import (
    AppointmentFactory,
    StaffFactory,
    fill_chat_with_every_kind,
    send_message,
)

pytestmark = pytest.mark.django_db


def url(appointment) -> str:
    return f"/admin/chat/chat/conversation/{appointment.pk}/"


@pytest.fixture
def full_chat(appointment, parent, vet):
    fill_chat_with_every_kind(appointment, parent, vet)
    return appointment


def test_staff_read_every_message_in_order_with_its_kind_and_fields(client_for, staff, full_chat):
    response = client_for(staff).get(url(full_chat), HTTP_USER_AGENT="Firefox/140")
    assert response.status_code == HTTPStatus.OK
    page = response.text
    # the header names who and what the appointment was
    appointment = full_chat
    for text in (
        "vetchat clinic",
        appointment.pet.name,
        "Alex Morgan",
        appointment.pet_parent.email,
        "Dr. Jane Foster",
        appointment.reason,
    ):
        assert text in page
    # every message, in seq order
    messages = list(Message.objects.filter(chat__appointment=appointment).order_by("seq"))
    positions = [page.index(f'id="m-{m.pk}"') for m in messages]
    assert positions == sorted(positions) and len(positions) == 10
    # kinds and structured fields
    for text in (
        "Rex has been scratching his left ear since Monday.",
        "Assessment",
        "Otitis externa",
        "Diagnosis",
        "Twice daily",
        "Frequency",
        "ear.png",
        "scratching.webm",
        "lab-results.pdf",
        "(Pet parent)",
        "(Veterinarian)",
    ):
        assert text in page, text
    # an amendment names what it amends, and the amended one what amends it
    first, second = messages[2], messages[3]
    assert f'amends <a href="#m-{first.pk}">#{first.seq}</a>' in page
    assert f"amended by #{second.seq}" in page
    # acknowledgement, both ways
    assert "Read and understood by Alex Morgan" in page
    assert "Not acknowledged" in page


def test_staff_see_every_version_of_edited_and_retracted_messages(client_for, staff, full_chat):
    page = client_for(staff).get(url(full_chat)).text
    # the typo as sent, then the correction, with who made each version
    history = page.split("Every version of #9")[1].split("</table>")[0]
    assert "Sent" in history and "Thnaks" in history
    assert "Edited" in history and "Thanks" in history
    assert "Alex Morgan" in history
    assert history.index("Thnaks") < history.index("Thanks")
    # a retracted message stays readable for staff, marked as participants see it
    assert "Our door code is 4512" in page
    assert "participants see “Message removed”" in page
    retracted = page.split("Every version of #10")[1].split("</table>")[0]
    assert "Retracted" in retracted


def test_opening_the_conversation_is_audited_with_address_and_browser(client_for, staff, full_chat):
    client_for(staff).get(
        url(full_chat), REMOTE_ADDR="198.51.100.23", HTTP_USER_AGENT="Mozilla/5.0 Clinic"
    )
    (event,) = AuditEvent.objects.all()
    assert (event.user, event.action, event.appointment) == (staff, "chat.read", full_chat)
    assert (event.ip, event.user_agent) == ("198.51.100.23", "Mozilla/5.0 Clinic")


def test_every_opening_is_its_own_event(client_for, staff, full_chat):
    client = client_for(staff)
    client.get(url(full_chat))
    client.get(url(full_chat))
    assert AuditEvent.objects.filter(action="chat.read").count() == 2


def test_a_chat_without_messages_reads_as_empty(client_for, staff, appointment):
    response = client_for(staff).get(url(appointment))
    assert response.status_code == HTTPStatus.OK
    assert "No messages in this chat yet." in response.text


@pytest.mark.parametrize("who", ["parent", "vet", "other_parent"])
def test_non_staff_are_refused_and_nothing_is_recorded(request, client_for, full_chat, who):
    response = client_for(request.getfixturevalue(who)).get(url(full_chat))
    assert response.status_code == HTTPStatus.FOUND
    assert "/admin/login/" in response.url
    assert not AuditEvent.objects.exists()


def test_staff_without_the_right_to_view_chats_are_refused(client_for, full_chat):
    clerk = StaffFactory(is_superuser=False)
    response = client_for(clerk).get(url(full_chat))
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert not AuditEvent.objects.exists()


def test_one_right_opens_chats_to_staff_in_the_admin_and_in_exports_alike(client_for, full_chat):
    clerk = StaffFactory(is_superuser=False)
    client = client_for(clerk)
    transcript = f"/appointments/{full_chat.pk}/transcript.json"
    assert client.get(transcript).status_code == HTTPStatus.NOT_FOUND
    clerk.user_permissions.add(Permission.objects.get(codename="view_chat"))
    assert client.get(url(full_chat)).status_code == HTTPStatus.OK
    body = client.get(transcript).json()
    assert body["audience"] == "staff"


@pytest.mark.parametrize(
    ("where", "list_url"),
    [
        ("messages", "/admin/chat/message/"),
        ("chats", "/admin/chat/chat/"),
        ("appointments", "/admin/appointments/appointment/"),
        ("pets", "/admin/appointments/pet/"),
    ],
)
def test_a_search_in_the_admin_is_audited(client_for, staff, full_chat, where, list_url):
    response = client_for(staff).get(list_url, {"q": "ear drops"})
    assert response.status_code == HTTPStatus.OK
    event = AuditEvent.objects.get()
    assert (event.user, event.action, event.object_id) == (
        staff,
        AuditEvent.Action.ADMIN_SEARCH,
        f"{where}: ear drops",
    )
    # a list opened without a search is not one
    client_for(staff).get(list_url)
    assert AuditEvent.objects.count() == 1


def test_an_unknown_appointment_is_not_found(client_for, staff):
    unknown = "/admin/chat/chat/conversation/00000000-0000-0000-0000-000000000000/"
    response = client_for(staff).get(unknown)
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert not AuditEvent.objects.exists()


def test_the_conversation_takes_the_same_queries_for_short_and_long_chats(
    client_for, staff, appointment, parent, vet, django_assert_max_num_queries
):
    client = client_for(staff)
    fill_chat_with_every_kind(appointment, parent, vet)
    client.get(url(appointment))  # the session's periodic write, once
    with django_assert_max_num_queries(20) as captured:
        client.get(url(appointment))
    short = len(captured.captured_queries)  # read now: the connection's query log is a ring
    for n in range(40):
        send_message(parent if n % 2 else vet, appointment, f"message {n}")
    client.get(url(appointment))  # and again, should it be due
    with django_assert_max_num_queries(short):
        assert client.get(url(appointment)).status_code == HTTPStatus.OK


def test_the_appointment_and_the_chat_link_to_their_conversation(client_for, staff, full_chat):
    client = client_for(staff)
    chat = Chat.objects.get(appointment=full_chat)
    link = f'href="{url(full_chat)}"'
    assert link in client.get(f"/admin/appointments/appointment/{full_chat.pk}/change/").text
    assert link in client.get(f"/admin/chat/chat/{chat.pk}/change/").text
    assert link in client.get("/admin/chat/chat/").text


def test_the_message_list_leads_to_the_conversation_without_showing_text(
    client_for, staff, appointment, parent
):
    message = send_message(parent, appointment, "A private worry about Rex")
    listing = client_for(staff).get("/admin/chat/message/").text
    assert f'href="{url(appointment)}#m-{message.id}"' in listing
    assert "A private worry about Rex" not in listing
    assert not AuditEvent.objects.exists()


def test_opening_one_message_in_the_admin_is_audited_too(client_for, staff, appointment, parent):
    message = send_message(parent, appointment, "hello")
    client_for(staff).get(f"/admin/chat/message/{message.id}/change/")
    (event,) = AuditEvent.objects.all()
    assert (event.action, event.appointment, event.object_id) == (
        "chat.read",
        appointment,
        str(message.id),
    )


def test_the_audit_trail_of_the_appointment_is_one_click_away(client_for, staff, full_chat):
    client = client_for(staff)
    other = AppointmentFactory()
    client.get(url(other))
    page = client.get(url(full_chat)).text
    trail = f"/admin/audit/auditevent/?appointment={full_chat.pk}"
    assert trail in page
    listing = client.get(trail)
    assert listing.status_code == HTTPStatus.OK
    assert "1 audit event" in listing.text
