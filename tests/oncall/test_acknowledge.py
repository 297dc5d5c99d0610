"""The paged clinician acknowledges from the page (reached from the email's signed link, through
sign-in): the round stops waiting, they join the care team, the chat and the audit trail say so.
A late acknowledgement is refused in words; strangers are told the page does not exist; the
staff's list of pages costs a fixed number of queries."""

import re
from datetime import timedelta
from http import HTTPStatus
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from appointments.models import AppointmentMember
from audit.models import AuditEvent
from oncall.context import pages_context
from oncall.models import Page
from oncall.services import page_link, round_escalate_if_due
from tests.factories import AppointmentFactory, ClinicFactory, VetFactory
from tests.oncall.conftest import NIGHT, ack_url, flag, notices, page_url, shift, states

pytestmark = pytest.mark.django_db


def test_the_paged_vet_sees_the_page_and_acknowledges_it(client_for, rota, foster, appointment):
    [page] = flag(appointment)
    client = client_for(foster)

    html = client.get(page_url(page)).text
    assert appointment.pet.name in html and appointment.pet_parent.display_name in html
    assert "Seizure" in html and "Acknowledge: I am answering" in html

    response = client.post(ack_url(page))

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith(reverse("appointment_detail", args=[appointment.pk]))
    page.refresh_from_db()
    assert page.state == Page.State.ACKNOWLEDGED and page.acknowledged_at is not None
    assert AppointmentMember.objects.filter(appointment=appointment, user=foster).exists()
    assert notices(appointment)[-1] == "Dr. Foster acknowledged the page."
    [event] = AuditEvent.objects.filter(action=AuditEvent.Action.ONCALL_ACKNOWLEDGED)
    assert (event.user, event.appointment_id, event.ip) == (foster, appointment.pk, "127.0.0.1")
    # the escalation job, when it comes, finds nothing waiting
    assert round_escalate_if_due(
        chat_id=page.chat_id, round_=1, now=NIGHT + timedelta(minutes=10)
    ) == (Page.State.ACKNOWLEDGED)
    # and the chat is now theirs to answer, as a member of the care team
    assert client.get(reverse("appointment_detail", args=[appointment.pk])).status_code == 200


def test_while_paged_the_clinician_may_read_the_chat_before_acknowledging(
    client_for, rota, foster, appointment
):
    detail = reverse("appointment_detail", args=[appointment.pk])
    assert client_for(foster).get(detail).status_code == HTTPStatus.NOT_FOUND
    flag(appointment)
    assert client_for(foster).get(detail).status_code == HTTPStatus.OK


def test_the_emails_link_leads_to_the_page_through_sign_in(client_for, rota, foster, appointment):
    [page] = flag(appointment)
    link = urlsplit(page_link(page.pk)).path

    anonymous = Client().get(link, follow=True)
    login, _ = anonymous.redirect_chain[-1]
    assert login.startswith("/accounts/login/") and f"next={page_url(page)}" in login.replace(
        "%2F", "/"
    )

    signed_in = client_for(foster).get(link, follow=True)
    assert signed_in.redirect_chain == [(page_url(page), HTTPStatus.FOUND)]
    assert signed_in.status_code == HTTPStatus.OK


def test_a_forged_link_opens_nothing(client):
    response = client.get(reverse("oncall_page_link", args=["not-a-signed-token"]))
    assert response.status_code == HTTPStatus.NOT_FOUND


def test_a_late_acknowledgement_is_refused_in_words(client_for, rota, foster, appointment):
    [page] = flag(appointment)
    round_escalate_if_due(chat_id=page.chat_id, round_=1, now=NIGHT + timedelta(minutes=10))

    response = client_for(foster).post(ack_url(page))

    assert response.status_code == HTTPStatus.CONFLICT
    assert "This page was passed to Dr. Patel at 02:26." in response.text
    assert states(appointment)[0] == ("Dr. Foster", 1, Page.State.ESCALATED)
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.ONCALL_ACKNOWLEDGED).exists()


def test_one_acknowledgement_ends_the_rounds_other_pages(client_for, rota, patel, appointment):
    second = VetFactory(name="Dr. Second")
    shift(second, 1)
    pages = {page.person.name: page for page in flag(appointment)}

    assert client_for(second).post(ack_url(pages["Dr. Second"])).status_code == HTTPStatus.FOUND
    response = client_for(rota["foster"]).post(ack_url(pages["Dr. Foster"]))

    assert response.status_code == HTTPStatus.CONFLICT
    assert re.search(r"Dr\. Second acknowledged this page at \d\d:\d\d\.", response.text)
    assert states(appointment) == [
        ("Dr. Foster", 1, Page.State.STOOD_DOWN),
        ("Dr. Second", 1, Page.State.ACKNOWLEDGED),
    ]


def test_a_stranger_is_told_the_page_does_not_exist(client_for, rota, appointment, other_parent):
    [page] = flag(appointment)
    elsewhere = VetFactory(clinics=[ClinicFactory()])
    for outsider in (other_parent, elsewhere, rota["patel"]):  # Patel: not paged, not on the team
        client = client_for(outsider)
        assert client.get(page_url(page)).status_code == HTTPStatus.NOT_FOUND
        assert client.post(ack_url(page)).status_code == HTTPStatus.NOT_FOUND
    assert Page.objects.get().state == Page.State.WAITING


def test_the_appointments_vet_sees_the_page_but_cannot_acknowledge_it(
    client_for, rota, vet, appointment
):
    [page] = flag(appointment)
    client = client_for(vet)
    html = client.get(page_url(page)).text
    assert "Acknowledge: I am answering" not in html
    assert client.post(ack_url(page)).status_code == HTTPStatus.FORBIDDEN
    assert Page.objects.get().state == Page.State.WAITING


def test_acknowledging_twice_changes_nothing(client_for, rota, foster, appointment):
    [page] = flag(appointment)
    client = client_for(foster)
    client.post(ack_url(page))
    assert client.post(ack_url(page)).status_code == HTTPStatus.FOUND
    assert AuditEvent.objects.filter(action=AuditEvent.Action.ONCALL_ACKNOWLEDGED).count() == 1


def test_the_staff_list_of_pages_on_the_appointment_page(
    client_for, rota, vet, appointment, parent, django_assert_num_queries
):
    detail = reverse("appointment_detail", args=[appointment.pk])
    client = client_for(vet)
    assert "Nobody has been paged about this chat." in client.get(detail).text
    assert 'id="oncall-pages"' not in client_for(parent).get(detail).text

    [page] = flag(appointment)
    round_escalate_if_due(chat_id=page.chat_id, round_=1, now=NIGHT + timedelta(minutes=10))
    html = client.get(detail).text
    assert "Dr. Foster" in html and "Escalated" in html and "Level 2" in html
    assert "02:16" in html  # paged, on the clinic's clock

    assert vet.works_at(appointment.clinic_id)  # as the signed-in user's, loaded with it
    with django_assert_num_queries(1):
        assert len(pages_context(vet, appointment)["oncall_pages"]) == 2
    # one query however many pages: three more rounds
    for round_, minutes in ((2, 20), (3, 30), (4, 40)):
        round_escalate_if_due(
            chat_id=page.chat_id, round_=round_, now=NIGHT + timedelta(minutes=minutes)
        )
    with django_assert_num_queries(1):
        assert len(pages_context(vet, appointment)["oncall_pages"]) == 4


def test_a_clinic_without_a_rota_shows_no_on_call_section(client_for, vet):
    appointment = AppointmentFactory(veterinarian=vet)
    html = client_for(vet).get(reverse("appointment_detail", args=[appointment.pk])).text
    assert 'id="oncall-pages"' not in html
