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

    # the chat's script must be running before Enter means "send"
    with page.expect_navigation(wait_until="load"):
        inbox.get_by_role("link").first.click()
    page.get_by_label("Your message").fill("Bring Biscuit in today.")
    page.get_by_label("Your message").press("Enter")
    expect(page.locator(".message.mine .content")).to_have_text("Bring Biscuit in today.")
    # shown at once while it is sent: leaving before the server has it would cancel the send
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


# Records each notification the page shows, and lets the test hide the tab.
NOTIFICATIONS = """
window.__notifications = [];
const Real = window.Notification;
class Recorded extends Real {
  constructor(title, options) {
    super(title, options);
    window.__notifications.push({ title, tag: options.tag, body: options.body || "" });
  }
}
Object.defineProperty(Recorded, "permission", { get: () => Real.permission });
window.Notification = Recorded;
Object.defineProperty(document, "visibilityState", {
  get: () => (window.__hidden ? "hidden" : "visible"),
});
"""
POLLED_WITHIN_MS = 8_000  # the 5 s poll and a margin


def test_a_message_arriving_while_the_tab_is_hidden_shows_a_browser_notification(
    page_for, live_server, appointment, parent, vet
):
    page = page_for(parent)
    page.context.grant_permissions(["notifications"], origin=live_server.url)
    page.add_init_script(NOTIFICATIONS)
    page.goto(f"{live_server.url}/appointments/{appointment.pk}/")

    # a message while the tab is shown: no notification
    send_message(vet, appointment, "Good morning")
    expect(page.locator(".message.theirs .content")).to_have_text(
        ["Good morning"], timeout=POLLED_WITHIN_MS
    )
    # then one while it is hidden: a notification naming sender and pet, without the text
    page.evaluate("window.__hidden = true")
    send_message(vet, appointment, "The lab results show an infection")
    expect(page.locator(".message.theirs .content")).to_have_count(2, timeout=POLLED_WITHIN_MS)
    notes = page.evaluate("window.__notifications")
    assert notes == [
        {
            "title": f"{vet.name} wrote about {appointment.pet.name}",
            "tag": f"{live_server.url}/appointments/{appointment.pk}/",
            "body": "",
        }
    ]
    assert page.js_errors == []
