"""A pet parent opens the email's sign-in link in a browser and lands in the chat."""

import re

import pytest
from playwright.sync_api import expect

from accounts.signin_links import signin_link_create

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_link_and_its_button_open_the_chat(new_context, live_server, appointment, parent):
    token = signin_link_create(user=parent, appointment_id=appointment.pk)
    page = new_context().new_page()

    page.goto(f"{live_server.url}/signin/{token}")
    page.get_by_role("button", name="Continue to the chat").click()

    page.wait_for_url(re.compile(f"/appointments/{appointment.pk}/$"))
    expect(page).to_have_title(re.compile(appointment.pet.name))

    # the same link a second time: the sign-in page, saying why
    other = new_context().new_page()
    other.goto(f"{live_server.url}/signin/{token}")
    other.wait_for_url(re.compile("/accounts/login/$"))
    expect(other.get_by_text("This sign-in link has expired or was already used.")).to_be_visible()
