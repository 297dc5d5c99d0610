"""The vet's dashboard lists prescriptions the pet parent has not acknowledged a day after."""

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from chat.models import Message
from chat.selectors import prescriptions_awaiting_acknowledgement
from chat.services import access_chat, message_retract, prescription_acknowledge
from tests.factories import AppointmentFactory, PetParentFactory, send_message

pytestmark = pytest.mark.django_db

DAY = timedelta(hours=24)


def prescribe(vet, appointment, medication="Otomax", **options):
    return send_message(
        vet,
        appointment,
        "",
        message_type="prescription",
        payload={"medication": medication},
        **options,
    )


def sent_ago(message, age: timedelta) -> None:
    """As if sent `age` ago (the chain's link is not what these tests look at)."""
    Message.objects.filter(pk=message.id).update(created_at=timezone.now() - age)


def listed(vet, **options) -> list:
    return [a.message_id for a in prescriptions_awaiting_acknowledgement(vet=vet, **options)]


def test_a_prescription_is_listed_once_a_day_has_passed_unacknowledged(vet, appointment):
    rx = prescribe(vet, appointment)
    sent = Message.objects.get(pk=rx.id).created_at
    assert listed(vet, now=sent + DAY - timedelta(seconds=1)) == []
    assert listed(vet, now=sent + DAY) == [rx.id]
    assert listed(vet, now=sent + DAY + timedelta(days=3)) == [rx.id]


def test_the_wait_is_the_clinics_setting(settings, vet, appointment):
    settings.VETCHAT_ACKNOWLEDGEMENT_WAIT = timedelta(hours=2)
    rx = prescribe(vet, appointment)
    sent_ago(rx, timedelta(hours=3))
    assert listed(vet) == [rx.id]


def test_acknowledged_retracted_and_amended_prescriptions_are_not_listed(vet, parent, appointment):
    acknowledged = prescribe(vet, appointment, "Cone collar")
    retracted = prescribe(vet, appointment, "Wrong drug")
    amended = prescribe(vet, appointment, "Otomax")
    amendment = prescribe(vet, appointment, "Otomax, twice daily", amends=amended.id)
    text = send_message(vet, appointment, "Give it with food.")
    prescription_acknowledge(
        chat=access_chat(user=parent, appointment_id=appointment.pk),
        user=parent,
        message_id=acknowledged.id,
    )
    message_retract(
        chat=access_chat(user=vet, appointment_id=appointment.pk),
        user=vet,
        message_id=retracted.id,
    )
    for message in (acknowledged, retracted, amended, amendment, text):
        sent_ago(message, DAY * 2)
    assert listed(vet) == [amendment.id]


def test_a_retracted_amendment_leaves_the_amended_prescription_waiting(vet, appointment):
    amended = prescribe(vet, appointment, "Otomax")
    amendment = prescribe(vet, appointment, "Otomax, twice daily", amends=amended.id)
    message_retract(
        chat=access_chat(user=vet, appointment_id=appointment.pk),
        user=vet,
        message_id=amendment.id,
    )
    sent_ago(amended, DAY * 2)
    assert listed(vet) == [amended.id]


def test_other_vets_prescriptions_are_not_shown(vet, other_vet, appointment):
    elsewhere = AppointmentFactory(veterinarian=other_vet)
    sent_ago(prescribe(other_vet, elsewhere), DAY * 2)
    assert listed(vet) == []
    assert len(listed(other_vet)) == 1


def test_the_dashboard_lists_them_oldest_first_with_pet_parent_and_a_link(
    client_for, vet, parent, appointment
):
    second = AppointmentFactory(
        veterinarian=vet, pet__name="Pepper", pet__owner=PetParentFactory(name="Sam Lee")
    )
    newer = prescribe(vet, appointment, "Otomax")
    older = prescribe(vet, second, "Amoxicillin")
    sent_ago(newer, timedelta(hours=30))
    sent_ago(older, timedelta(days=3))
    page = client_for(vet).get("/dashboard/").text
    section = page.split('id="unacknowledged-heading"')[1].split("</section>")[0]
    assert section.index("Pepper") < section.index(appointment.pet.name)
    assert "Sam Lee" in section and "Alex Morgan" in section
    assert "Amoxicillin" in section and "Otomax" in section
    assert f'href="/appointments/{second.pk}/#m-{older.id}"' in section
    assert "3\xa0days</time> ago" in section


def test_the_dashboard_says_when_nothing_is_overdue(client_for, vet, appointment):
    prescribe(vet, appointment)  # sent just now: not overdue
    page = client_for(vet).get("/dashboard/").text
    assert "No prescription is overdue for acknowledgement." in page


def test_the_link_opens_the_prescription_on_the_appointment_page(client_for, vet, appointment):
    rx = prescribe(vet, appointment)
    sent_ago(rx, DAY * 2)
    page = client_for(vet).get(f"/appointments/{appointment.pk}/")
    assert page.status_code == HTTPStatus.OK
    assert f'id="m-{rx.id}"' in page.text


def test_the_list_is_one_query_however_long(vet):
    for n in range(12):
        appointment = AppointmentFactory(veterinarian=vet, pet__owner=PetParentFactory())
        sent_ago(prescribe(vet, appointment, f"Drug {n}"), DAY * 2)
    with CaptureQueriesContext(connection) as captured:
        assert len(prescriptions_awaiting_acknowledgement(vet=vet)) == 12
    assert len(captured) == 1


def test_the_dashboard_takes_the_same_queries_for_few_and_many(client_for, vet):
    def add_overdue(count: int) -> None:
        for _ in range(count):
            appointment = AppointmentFactory(veterinarian=vet, pet__owner=PetParentFactory())
            sent_ago(prescribe(vet, appointment), DAY * 2)

    client = client_for(vet)
    add_overdue(2)
    client.get("/dashboard/")  # the session's periodic write, once
    with CaptureQueriesContext(connection) as few:
        client.get("/dashboard/")
    add_overdue(20)
    client.get("/dashboard/")  # and again, should it be due
    with CaptureQueriesContext(connection) as many:
        page = client.get("/dashboard/").text
    assert page.count("data-prescription=") == 22
    assert len(few) == len(many)
