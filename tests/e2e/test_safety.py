"""Emergency advice where the family looks, at a phone's width: a red-flag message shows the
advice under it and by the composer, in view while typing, announced once (the banner is the one
live region); the reply-time note under a message; axe over that state."""

import pytest
from playwright.sync_api import expect

from tests.clinic.conftest import furnish_clinic, open_now
from tests.e2e.a11y import axe_violations, describe
from tests.e2e.conftest import new_page
from tests.factories import AppointmentFactory, send_message
from tests.servers import AsgiServer

pytestmark = pytest.mark.django_db(transaction=True)

# Polling off: what appears without a reload came by push.
SERVER_ENV = {"DJANGO_CHAT_POLL_SECONDS": "3600", "VETCHAT_CLINIC_SETTINGS_SECONDS": "0"}
PUSHED_WITHIN_MS = 3_000
PHONE = {"width": 360, "height": 640}


@pytest.fixture
def server():
    started = AsgiServer(env=SERVER_ENV).start()
    yield started
    started.stop()


def test_a_red_flag_shows_its_advice_under_the_message_and_by_the_composer(server, new_context):
    furnish_clinic()
    open_now()
    appointment = AppointmentFactory(pet__name="Rex")
    parent = appointment.pet_parent
    send_message(parent, appointment, "Rex had his booster last week")
    page = new_page(new_context(parent, server.url, **PHONE))
    page.goto(f"{server.url}/appointments/{appointment.pk}/")
    expect(page.locator(".live-status")).to_have_text("Live")
    expect(page.locator(".reply-promise").first).to_contain_text("Reply expected by ")
    expect(page.locator("#composer-promise")).to_contain_text("If you send now, expect a reply")
    advice = page.locator("#composer-urgent-advice")
    expect(advice).to_be_hidden()

    composer = page.get_by_label("Your message")
    composer.fill("Rex got hit by a car and is bleeding a lot")
    composer.press("Enter")

    # Live: the banner (the one live region), the advice under the message and by the composer.
    expect(page.locator("#urgent-banner")).to_be_visible(timeout=PUSHED_WITHIN_MS)
    flagged = page.locator("li.message", has_text="Rex got hit by a car")
    expect(flagged.locator(".message-advice")).to_contain_text("This may be an emergency.")
    expect(advice).to_be_visible()
    expect(advice.locator(".urgent-sign")).to_have_text("Bleeding that won't stop, Hit by a car")
    expect(advice.get_by_role("link", name="01632 960 999")).to_have_attribute(
        "href", "tel:01632960999"
    )

    def announced_once() -> None:
        alerts = page.locator("[role=alert]:visible, [aria-live]:visible")
        expect(alerts.filter(has_text="emergency")).to_have_count(1)
        expect(page.locator("#urgent-banner")).to_have_attribute("role", "alert")

    announced_once()
    # Typing at a phone's width, the advice is in view above the text box.
    composer.click()
    composer.type("He is breathing")
    box, height = advice.bounding_box(), PHONE["height"]
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height, box

    # On a fresh load the same, announced once.
    page.reload()
    expect(page.locator(".live-status")).to_have_text("Live")
    expect(advice).to_be_visible()
    expect(flagged.locator(".message-advice")).to_be_visible()
    announced_once()
    violations = axe_violations(page)
    assert violations == [], describe(violations)
    assert page.js_errors == []
