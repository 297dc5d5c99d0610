"""The vet's list of prescriptions still unacknowledged a day on, in a real browser."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from chat.models import Message
from chat.services import access_chat, prescription_acknowledge
from tests.factories import AppointmentFactory, PetParentFactory, send_message

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_vet_follows_an_overdue_prescription_to_its_message_and_sees_it_go_once_read(
    page_for, live_server, vet
):
    appointment = AppointmentFactory(
        veterinarian=vet, pet__name="Biscuit", pet__owner=PetParentFactory(name="Sam Lee")
    )
    rx = send_message(
        vet, appointment, "", message_type="prescription", payload={"medication": "Otomax"}
    )
    recent = send_message(
        vet, appointment, "", message_type="prescription", payload={"medication": "Cone collar"}
    )
    Message.objects.filter(pk=rx.id).update(created_at=timezone.now() - timedelta(days=2))
    page = page_for(vet)

    page.goto(f"{live_server.url}/dashboard/")
    overdue = page.get_by_role("region", name="Prescriptions not acknowledged")
    expect(overdue.locator(".pet-name")).to_have_text(["Biscuit"])
    expect(overdue).to_contain_text("with Sam Lee")
    expect(overdue).to_contain_text("Otomax")
    expect(overdue).to_contain_text(re.compile(r"sent 2\sdays ago"))
    expect(overdue).not_to_contain_text("Cone collar")  # sent just now

    # by keyboard, to the prescription on the appointment page
    link = overdue.get_by_role("link")
    link.focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/appointments/{appointment.pk}/#m-{rx.id}$"))
    expect(page.locator(f"#m-{rx.id}")).to_be_in_viewport()
    expect(page.locator(f"#m-{rx.id}")).to_contain_text("Otomax")
    assert recent.id != rx.id

    parent = appointment.pet_parent
    prescription_acknowledge(
        chat=access_chat(user=parent, appointment_id=appointment.pk), user=parent, message_id=rx.id
    )
    page.goto(f"{live_server.url}/dashboard/")
    expect(overdue.locator(".empty-state")).to_have_text(
        "No prescription is overdue for acknowledgement."
    )
    assert page.js_errors == []
