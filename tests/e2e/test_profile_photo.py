"""The profile photo in a real browser: chosen by keyboard, shown beside one's own messages,
a refused file named beside the field, no axe violations in any state."""

import re

import pytest
from playwright.sync_api import expect

from tests.attachments import files
from tests.e2e.a11y import axe_violations, describe


@pytest.mark.parametrize("width", [360, 1280])
def test_a_parent_adds_a_photo_by_keyboard_and_it_shows_beside_their_messages(
    page_for, live_server, parent, appointment, width
):
    page = page_for(parent, width=width)
    page.goto(f"{live_server.url}/appointments/")
    # the name in the header leads to the photo
    page.get_by_role("link", name=re.compile(r"^Alex Morgan\s*: your photo$")).click()
    expect(page.get_by_role("heading", name="Your photo")).to_be_visible()
    assert axe_violations(page) == [], describe(axe_violations(page))

    # a file that is not a photo is refused beside the field, announced with it
    field = page.get_by_label("Your photo")
    field.set_input_files(files=[{"name": "notes.jpg", "mimeType": "image/jpeg",
                                  "buffer": files.pdf_document()}])  # fmt: skip
    field.focus()
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    error = page.locator("#id_photo_error")
    expect(error).to_have_text("Choose a photo: JPEG, PNG, WebP, GIF or HEIC.")
    expect(page.get_by_label("Your photo")).to_have_attribute("aria-invalid", "true")
    assert axe_violations(page) == [], describe(axe_violations(page))

    page.get_by_label("Your photo").set_input_files(
        files=[{"name": "me.jpg", "mimeType": "image/jpeg", "buffer": files.jpeg_with_gps()}]
    )
    page.get_by_role("button", name="Save photo").press("Enter")
    expect(page.get_by_text("Your photo is saved")).to_be_visible()
    picture = page.locator(".profile-avatar img")
    expect(picture).to_be_visible()
    picture.evaluate("(img) => img.decode()")
    assert picture.evaluate("(img) => img.naturalWidth") == 160
    assert axe_violations(page) == [], describe(axe_violations(page))

    # then their messages carry it
    page.goto(f"{live_server.url}/appointments/{appointment.pk}/")
    page.get_by_label("Your message").fill("Here is my photo")
    page.keyboard.press("Enter")
    mine = page.locator(".message.mine").last
    expect(mine).to_contain_text("Here is my photo")
    src = mine.locator(".avatar img").get_attribute("src")
    assert src and src.startswith("/profile-photos/"), src
    assert page.js_errors == []
