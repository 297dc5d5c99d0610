"""Co-owners: the owner invites by email, the invitee accepts with that verified address, then
reads, writes and is notified like the owner, until the owner revokes it, which ends the access
at the next request."""

import re
from http import HTTPStatus

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.core.signing import TimestampSigner
from procrastinate.contrib.django.models import ProcrastinateJob

from appointments.models import CoOwnership
from appointments.services import co_owner_invite
from chat.services import chat_get_or_create
from tests.care_team import co_owner
from tests.factories import PetFactory, PetParentFactory, VetFactory, send_message
from tests.queued_email import send_queued_emails

pytestmark = pytest.mark.django_db

URL = "/api/appointment-chat/messages"


def invite(client, pet, email):
    return client.post(f"/pets/{pet.pk}/co-owners/", {"email": email})


def link_in(message) -> str:
    return re.search(r"https?://\S+/co-owners/accept/\S+/", message.body).group(0)


def path_of(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def test_the_owner_sees_an_empty_co_owners_section(client_for, parent, appointment):
    page = client_for(parent).get("/appointments/").content.decode()
    assert "Co-owners" in page and "No co-owners." in page
    assert f"Invite a co-owner of {appointment.pet.name} by email" in page


def test_invite_accept_write_and_revoke(
    client_for, parent, vet, appointment, django_capture_on_commit_callbacks
):
    # given the owner invites someone by email
    robin = PetParentFactory(name="Robin Morgan", email="robin@example.com")
    owner = client_for(parent)
    with django_capture_on_commit_callbacks(execute=True):
        response = invite(owner, appointment.pet, "Robin@Example.com")
    assert response.status_code == HTTPStatus.FOUND
    send_queued_emails()
    [email] = mail.outbox
    assert email.to == ["robin@example.com"]
    link = path_of(link_in(email))
    page = owner.get("/appointments/").content.decode()
    assert "robin@example.com" in page and "Invited, not yet accepted" in page
    # when they accept, signed in with that address
    invitee = client_for(robin)
    shown = invitee.get(link)
    assert shown.status_code == HTTPStatus.OK
    assert (
        f"invites you to co-own <strong>{appointment.pet.name}</strong>" in shown.content.decode()
    )
    assert invitee.post(link).status_code == HTTPStatus.FOUND
    # then they see the pet's appointment, its chat, and write in it under their own name
    listed = invitee.get("/api/appointments/").json()["appointments"]
    assert [a["id"] for a in listed] == [str(appointment.pk)]
    sent = invitee.post(
        URL,
        {"appointmentId": str(appointment.pk), "content": "Robin here"},
        content_type="application/json",
    )
    assert sent.status_code == HTTPStatus.CREATED
    message = sent.json()["message"]
    assert (message["senderName"], message["senderRole"]) == ("Robin Morgan", "Pet parent")
    assert message["senderId"] != str(parent.pk)
    # and the owner sees the co-owner listed
    assert "Robin Morgan" in owner.get("/appointments/").content.decode()
    # when the owner revokes
    ownership = CoOwnership.objects.get(user=robin)
    assert owner.post(f"/co-owners/{ownership.pk}/revoke/").status_code == HTTPStatus.FOUND
    # then the co-owner's next poll and send find nothing there
    poll = invitee.get(URL, {"appointmentId": str(appointment.pk)})
    assert poll.status_code == HTTPStatus.NOT_FOUND
    assert invitee.get(f"/appointments/{appointment.pk}/").status_code == HTTPStatus.NOT_FOUND
    assert invitee.get("/api/appointments/").json()["appointments"] == []
    # and the link cannot be used again
    assert invitee.post(link).status_code == HTTPStatus.NOT_FOUND


def test_a_co_owner_hears_of_the_vets_messages(parent, vet, appointment):
    robin = co_owner(appointment)
    chat = chat_get_or_create(appointment_id=appointment.pk)
    send_message(vet, appointment, "Results are in")
    # (jobs committed by other tests' transactions may still be in the queue)
    jobs = ProcrastinateJob.objects.filter(queueing_lock__endswith=f":{chat.pk}")
    locks = set(jobs.values_list("queueing_lock", flat=True))
    assert locks == {f"unread:{parent.pk}:{chat.pk}", f"unread:{robin.pk}:{chat.pk}"}


def test_a_co_owner_acknowledges_a_prescription(client_for, vet, appointment):
    robin = co_owner(appointment)
    row = send_message(
        vet, appointment, "", message_type="prescription", payload={"medication": "Meloxicam"}
    )
    response = client_for(robin).post(f"{URL}/{row.id}/acknowledgement")
    assert response.status_code == HTTPStatus.OK
    assert response.json()["message"]["acknowledgedBy"] == "Robin Morgan"


def test_a_bad_address_is_refused_keeping_what_was_typed(client_for, parent, appointment):
    response = invite(client_for(parent), appointment.pet, "robin@@example")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    page = response.content.decode()
    assert 'value="robin@@example"' in page and "Enter a valid email address." in page
    assert 'aria-invalid="true"' in page
    assert not CoOwnership.objects.exists()


def test_inviting_the_same_address_twice_is_a_conflict(client_for, parent, appointment):
    owner = client_for(parent)
    invite(owner, appointment.pet, "robin@example.com")
    again = invite(owner, appointment.pet, "robin@example.com")
    assert again.status_code == HTTPStatus.CONFLICT
    assert "already invited" in again.content.decode()


def test_only_the_owner_invites(client_for, parent, appointment):
    robin = co_owner(appointment)
    for user in (robin, PetParentFactory()):
        response = invite(client_for(user), appointment.pet, "someone@example.com")
        assert response.status_code == HTTPStatus.NOT_FOUND
    assert CoOwnership.objects.count() == 1


def test_only_the_owner_revokes(client_for, parent, appointment):
    robin = co_owner(appointment)
    ownership = CoOwnership.objects.get(user=robin)
    for user in (robin, PetParentFactory()):
        response = client_for(user).post(f"/co-owners/{ownership.pk}/revoke/")
        assert response.status_code == HTTPStatus.NOT_FOUND
    ownership.refresh_from_db()
    assert ownership.revoked_at is None


def test_the_link_needs_the_invited_verified_address(client_for, parent, appointment):
    _, token = co_owner_invite(pet_id=appointment.pet.pk, by=parent, email="robin@example.com")
    link = f"/co-owners/accept/{token}/"
    someone_else = PetParentFactory(email="sam@example.com")
    refused = client_for(someone_else).post(link)
    assert refused.status_code == HTTPStatus.FORBIDDEN
    assert "This invitation is for robin@example.com" in refused.content.decode()
    unverified = PetParentFactory(email="robin@example.com", email_verified=False)
    assert client_for(unverified).post(link).status_code == HTTPStatus.FORBIDDEN
    assert not CoOwnership.objects.filter(user__isnull=False).exists()
    EmailAddress.objects.filter(user=unverified).update(verified=True)
    assert client_for(unverified).post(link).status_code == HTTPStatus.FOUND


def test_a_clinic_account_cannot_co_own(client_for, parent, appointment):
    vet = VetFactory(email="robin@example.com")
    _, token = co_owner_invite(pet_id=appointment.pet.pk, by=parent, email="robin@example.com")
    response = client_for(vet).post(f"/co-owners/accept/{token}/")
    assert response.status_code == HTTPStatus.FORBIDDEN


def test_an_expired_or_forged_link_is_refused(client_for, parent, appointment, settings):
    robin = PetParentFactory(email="robin@example.com")
    _, token = co_owner_invite(pet_id=appointment.pet.pk, by=parent, email=robin.email)
    settings.VETCHAT_CO_OWNER_INVITE_DAYS = -1
    expired = client_for(robin).get(f"/co-owners/accept/{token}/")
    assert expired.status_code == HTTPStatus.NOT_FOUND
    assert "expired" in expired.content.decode()
    settings.VETCHAT_CO_OWNER_INVITE_DAYS = 7
    forged = TimestampSigner(salt="elsewhere").sign("1")
    assert client_for(robin).get(f"/co-owners/accept/{forged}/").status_code == HTTPStatus.NOT_FOUND


def test_the_link_asks_a_stranger_to_sign_in_first(client, parent, appointment):
    _, token = co_owner_invite(pet_id=appointment.pet.pk, by=parent, email="robin@example.com")
    response = client.get(f"/co-owners/accept/{token}/")
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith("/accounts/login/?next=/co-owners/accept/")


def test_a_withdrawn_invitation_cannot_be_accepted(client_for, parent, appointment):
    robin = PetParentFactory(email="robin@example.com")
    invitation, token = co_owner_invite(pet_id=appointment.pet.pk, by=parent, email=robin.email)
    client_for(parent).post(f"/co-owners/{invitation.pk}/revoke/")
    assert client_for(robin).post(f"/co-owners/accept/{token}/").status_code == HTTPStatus.NOT_FOUND


def test_a_co_owner_of_one_pet_sees_none_of_the_owners_others(client_for, parent, vet, appointment):
    from tests.factories import AppointmentFactory

    other_pet = PetFactory(owner=parent)
    other = AppointmentFactory(pet=other_pet, veterinarian=vet)
    robin = co_owner(appointment)
    response = client_for(robin).get(URL, {"appointmentId": str(other.pk)})
    assert response.status_code == HTTPStatus.NOT_FOUND
