"""The vet's "Needs reply" list and the tab's unread count in a real browser."""

import re

import pytest
from playwright.sync_api import expect

from tests.factories import AppointmentFactory, PetParentFactory, send_message

pytestmark = pytest.mark.django_db(transaction=True)

TITLE_REFRESH_MS = 13_000  # the module's 10 s refresh and a margin


def test_the_inbox_lists_the_longest_waiting_chat_first_and_drops_it_once_answered(
    page_for, live_server, vet
):
    first = AppointmentFactory(veterinarian=vet, pet__name="Biscuit")
    second = AppointmentFactory(veterinarian=vet, pet__name="Pepper", pet__owner=PetParentFactory())
    send_message(first.pet_parent, first, "Biscuit ate a sock")
    send_message(second.pet_parent, second, "Pepper sneezes a lot")
    page = page_for(vet)

    page.goto(f"{live_server.url}/dashboard/")
    inbox = page.get_by_role("region", name="Needs reply")
    expect(inbox.locator(".pet-name")).to_have_text(["Biscuit", "Pepper"])
    expect(inbox).to_contain_text("waiting")

    inbox.get_by_role("link").first.click()
    page.get_by_label("Your message").fill("Bring Biscuit in today.")
    page.get_by_label("Your message").press("Enter")
    expect(page.locator(".message.mine .content")).to_have_text("Bring Biscuit in today.")
    expect(page.locator(".message.mine .receipt")).to_have_text(re.compile("Sent|Read"))

    page.goto(f"{live_server.url}/dashboard/")
    expect(inbox.locator(".pet-name")).to_have_text(["Pepper"])

    send_message(second.pet_parent, second, "Is that normal?")
    send_message(vet, second, "Yes.")
    page.reload()
    expect(inbox.locator(".empty-state")).to_have_text("Nobody is waiting for an answer.")
    assert page.js_errors == []


def test_the_tab_title_counts_unread_messages_live(page_for, live_server, appointment, vet):
    page = page_for(appointment.pet_parent)
    page.goto(f"{live_server.url}/appointments/")
    expect(page).to_have_title(re.compile(r"^My appointments"))

    send_message(vet, appointment, "Your results are in.")
    send_message(vet, appointment, "All normal.")
    expect(page).to_have_title(re.compile(r"^\(2\) "), timeout=TITLE_REFRESH_MS)
    expect(page.locator(".site-nav [data-unread-total]")).to_contain_text("2")
    assert page.js_errors == []
