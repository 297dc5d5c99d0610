"""A vet writes a message to go later from the chat's composer, in a real browser."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tenancy.zones import clinic_time
from tests.e2e.a11y import axe_violations, describe

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_vet_schedules_a_message_from_the_composer(page_for, live_server, appointment, vet):
    page = page_for(vet)
    page.goto(f"{live_server.url}/appointments/{appointment.pk}/")
    at = clinic_time(timezone.now() + timedelta(days=1), appointment.clinic_id)

    page.get_by_label("Your message").fill("How is Rex this morning?")
    page.get_by_text("Send later", exact=True).click()
    page.locator("#send-later-at").fill(f"{at:%Y-%m-%dT%H:%M}")
    page.get_by_role("button", name="Schedule").click()

    waiting = page.get_by_role("region", name="Waiting to be sent")
    expect(waiting).to_contain_text(f"Scheduled for {at:%a %H:%M}")
    expect(waiting).to_contain_text("How is Rex this morning?")
    expect(waiting.get_by_role("button", name="Send now")).to_be_visible()
    expect(page.locator(".messages .message")).to_have_count(0)  # nothing sent yet
    expect(page.get_by_label("Your message")).to_have_value("")  # the draft went with it
    violations = axe_violations(page)
    assert not violations, describe(violations)
    assert page.js_errors == []
