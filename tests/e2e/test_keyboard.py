"""The whole job with a keyboard alone (no mouse is ever used here), and what a screen reader
hears on the way."""

import re

import pytest
from django.test import Client
from playwright.sync_api import Page, expect

from chat.models import Message
from tests.factories import PASSWORD, AppointmentFactory, send_message

READ = re.compile(r"^Read( by .+)?$")  # a receipt names its reader when known

pytestmark = pytest.mark.django_db(transaction=True)

SEEN_WITHIN_MS = 8_000  # one poll interval and a margin for a machine running the suite beside
API = "**/api/appointment-chat/messages*"

# What the focused element is, for a test to name: its id, else its text or label.
FOCUSED = """() => {
  const el = document.activeElement;
  return el ? (el.id || el.getAttribute("aria-label") || el.textContent || "").trim() : "";
}"""

# The focused element shows a focus indicator of at least 2 px: an outline, or a box-shadow.
FOCUS_SHOWN = """() => {
  const style = getComputedStyle(document.activeElement);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2;
  return outline || style.boxShadow !== "none";
}"""


def tab_to(page: Page, name: str | re.Pattern, *, backwards: bool = False, limit: int = 60) -> None:
    """Press Tab (or Shift+Tab) until the focused element is the one named; every element passed
    on the way must show its focus."""
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        focused = page.evaluate(FOCUSED)
        if page.evaluate("() => document.activeElement !== document.body"):
            assert page.evaluate(FOCUS_SHOWN), f"no visible focus on {focused!r}"
        if name.search(focused) if isinstance(name, re.Pattern) else focused == name:
            return
    raise AssertionError(f"{name!r} is not reachable with Tab")


def announcements(page: Page) -> list[str]:
    return page.evaluate("() => window.__announced")


def record_announcements(page: Page) -> None:
    """Every text the chat's live region takes, in order, from the page's start."""
    page.add_init_script(
        """
        window.__announced = [];
        document.addEventListener("DOMContentLoaded", () => {
          const region = document.getElementById("chat-announcer");
          if (!region) return;
          new MutationObserver(() => {
            if (region.textContent) window.__announced.push(region.textContent);
          }).observe(region, { childList: true, characterData: true, subtree: true });
        });
        """
    )


def chat_url(live_server, appointment) -> str:
    return f"{live_server.url}/appointments/{appointment.pk}/"


def test_sign_in_open_an_appointment_and_write_with_the_keyboard(
    new_context, live_server, appointment, parent
):
    page = new_context().new_page()
    page.goto(f"{live_server.url}/accounts/login/")

    tab_to(page, "id_login")
    page.keyboard.type(parent.email)
    tab_to(page, "id_password")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/appointments/$"))

    tab_to(page, re.compile(appointment.pet.name))
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(str(appointment.pk)))
    expect(page).to_have_title(re.compile(appointment.pet.name))

    # the skip links come first, the second straight to the conversation
    page.keyboard.press("Tab")
    assert page.evaluate(FOCUSED) == "Skip to content"
    page.keyboard.press("Tab")
    assert page.evaluate(FOCUSED) == "Skip to the conversation"
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "conversation"

    # Shift+Enter starts a new line, Enter sends, focus stays in the composer
    tab_to(page, "composer-text")
    page.keyboard.type("Rex limps")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("on his left paw")
    page.keyboard.press("Enter")
    expect(page.locator(".message.mine .content")).to_have_text("Rex limps\non his left paw")
    expect(page.locator("#composer-text")).to_be_focused()
    expect(page.locator("#composer-text")).to_have_value("")

    # sent with the Send button, focus comes back to where the next message is written
    page.keyboard.type("It started yesterday")
    tab_to(page, "Send")
    page.keyboard.press("Enter")
    expect(page.locator(".message.mine .content").last).to_have_text("It started yesterday")
    expect(page.locator("#composer-text")).to_be_focused()


def test_load_earlier_messages_with_the_keyboard_keeps_focus(
    page_for, live_server, appointment, parent, vet
):
    for number in range(1, 71):
        send_message(vet if number % 2 else parent, appointment, f"note {number}")
    page = page_for(parent)
    page.goto(chat_url(live_server, appointment))
    expect(page.locator(".message .content")).to_have_count(50)

    tab_to(page, "Load earlier messages")
    page.keyboard.press("Enter")
    expect(page.locator(".message .content")).to_have_count(70)
    # all history is in: the button goes, and focus lands on the conversation, not the page top
    expect(page.get_by_role("button", name="Load earlier messages")).to_be_hidden()
    expect(page.locator("#conversation")).to_be_focused()


def test_load_earlier_keeps_focus_on_the_button_while_more_remain(
    page_for, live_server, appointment, parent, vet
):
    for number in range(1, 121):
        send_message(vet if number % 2 else parent, appointment, f"note {number}")
    page = page_for(parent)
    page.goto(chat_url(live_server, appointment))
    tab_to(page, "Load earlier messages")
    page.keyboard.press("Enter")
    expect(page.locator(".message .content")).to_have_count(100)
    expect(page.get_by_role("button", name="Load earlier messages")).to_be_focused()


def test_a_failed_send_is_announced_and_retried_with_the_keyboard(
    page_for, live_server, appointment, parent
):
    page = page_for(parent)
    record_announcements(page)
    page.goto(chat_url(live_server, appointment))

    def lose_the_answer(route) -> None:
        if route.request.method == "POST":
            route.fetch()
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route(API, lose_the_answer)
    tab_to(page, "composer-text")
    page.keyboard.type("Is the clinic open on Sunday?")
    page.keyboard.press("Enter")
    expect(page.locator(".message.failed")).to_have_count(1)
    expect(page.locator("#chat-announcer")).to_have_text(re.compile("not sent"))

    page.unroute(API)
    tab_to(page, "Retry", backwards=True)
    page.keyboard.press("Enter")
    expect(page.locator(".message.failed")).to_have_count(0)
    expect(page.locator("#chat-announcer")).to_have_text("Your message was sent.")
    expect(page.locator("#composer-text")).to_be_focused()
    assert announcements(page)[-3:] == [
        "Your message was not sent. Its Retry button is beside it in the conversation.",
        "Sending your message again…",
        "Your message was sent.",
    ]
    assert Message.objects.filter(content="Is the clinic open on Sunday?").count() == 1


def test_every_action_on_the_dashboard_is_reached_with_tab(page_for, live_server, vet, parent):
    today = AppointmentFactory(pet__owner=parent, pet__name="Rex", veterinarian=vet)
    send_message(parent, today, "Rex is limping")
    AppointmentFactory(pet__owner=parent, pet__name="Bella", veterinarian=vet)
    page = page_for(vet)
    page.goto(f"{live_server.url}/dashboard/")

    links = page.locator("main a, header a, header button")
    wanted = {(link.get_attribute("href") or link.inner_text().strip()) for link in links.all()} - {
        None
    }
    reached = set()
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement !== document.body"):
            assert page.evaluate(FOCUS_SHOWN), page.evaluate(FOCUSED)
        reached.add(
            page.evaluate(
                "() => { const el = document.activeElement;"
                " return el.getAttribute('href') || el.innerText.trim(); }"
            )
        )
    assert wanted <= reached, wanted - reached

    # the Needs reply entry opens the chat with the keyboard
    tab_to(page, re.compile("Rex.*waiting|waiting.*Rex", re.S))
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(str(today.pk)))


def test_a_new_message_from_the_other_side_is_announced_once(
    page_for, live_server, appointment, parent, vet
):
    for number in range(1, 4):
        send_message(vet, appointment, f"history {number}")
    page = page_for(parent)
    record_announcements(page)
    page.goto(chat_url(live_server, appointment))

    send_message(vet, appointment, "Results are in")
    expect(page.locator("#chat-announcer")).to_have_text(
        "New message from Dr. Jane Foster: Results are in", timeout=SEEN_WITHIN_MS
    )
    page.wait_for_timeout(SEEN_WITHIN_MS)  # another poll comes and goes
    assert announcements(page) == ["New message from Dr. Jane Foster: Results are in"]
    # the live region is polite, and each message says who, when and (if mine) its state in text
    assert page.locator("#chat-announcer").get_attribute("aria-live") == "polite"
    last = page.locator(".message.theirs").last
    expect(last.locator(".sender")).to_have_text("Dr. Jane Foster")
    expect(last.locator("time")).to_have_text(re.compile(r"^\d\d:\d\d$"))


def test_own_messages_say_sent_or_read_in_text(page_for, live_server, appointment, parent, vet):
    send_message(parent, appointment, "Is Rex due a booster?")
    page = page_for(parent)
    page.goto(chat_url(live_server, appointment))
    expect(page.locator(".message.mine .receipt")).to_have_text("Sent")
    page_for(vet).goto(chat_url(live_server, appointment))
    expect(page.locator(".message.mine .receipt")).to_have_text(READ, timeout=SEEN_WITHIN_MS)


def test_sign_up_errors_are_tied_to_their_fields_and_focused(new_context, live_server):
    page = new_context().new_page()
    page.goto(f"{live_server.url}/accounts/signup/")
    tab_to(page, "id_name")
    page.keyboard.type("Alex Morgan")
    tab_to(page, "id_email")
    page.keyboard.type("new.client@example.com")
    tab_to(page, "id_password1")
    page.keyboard.type("short")  # the server, not the browser, refuses it
    tab_to(page, "id_password2")
    page.keyboard.type("short")
    page.keyboard.press("Enter")

    # A taken address is not told apart from a new one (no enumeration), so the password is
    # the field in error: focused, and read with its error.
    password = page.locator("#id_password1")
    expect(password).to_be_focused()
    expect(password).to_have_attribute("aria-invalid", "true")
    described = password.get_attribute("aria-describedby").split()
    assert any(page.locator(f"#{i}").inner_text().startswith("This password") for i in described)


def test_a_wrong_password_is_focused_for_a_screen_reader(new_context, live_server, parent):
    page = new_context().new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    tab_to(page, "id_login")
    page.keyboard.type(parent.email)
    tab_to(page, "id_password")
    page.keyboard.type("not the password")
    page.keyboard.press("Enter")
    expect(page.locator(".errorlist.nonfield")).to_be_focused()
    assert Client().login(email=parent.email, password=PASSWORD)  # the account is fine
