"""Searching one's chats in the browser, with the keyboard alone, and landing on the message."""

import re

import pytest
from playwright.sync_api import expect

from chat.models import Message
from chat.services import chat_get_or_create
from tests.e2e.test_keyboard import FOCUSED, SEEN_WITHIN_MS, tab_to
from tests.factories import AppointmentFactory, send_message

pytestmark = pytest.mark.django_db(transaction=True)


def long_chat(appointment, parent, vet, count: int, special: dict[int, str]) -> dict[int, Message]:
    chat = chat_get_or_create(appointment_id=appointment.pk)
    messages = Message.objects.bulk_create(
        Message(
            chat=chat,
            clinic_id=chat.clinic_id,
            seq=n,
            sender=vet if n % 2 else parent,
            content=special.get(n, f"note {n}"),
        )
        for n in range(1, count + 1)
    )
    chat.last_seq = count
    chat.save()
    return {m.seq: m for m in messages}


def test_find_a_message_and_open_it_in_its_chat_with_the_keyboard(
    page_for, live_server, parent, vet
):
    # given a long chat with one message about grapes far back in it, and another appointment
    appointment = AppointmentFactory(pet__owner=parent, pet__name="Rex", veterinarian=vet)
    messages = long_chat(appointment, parent, vet, 150, {40: "She ate a handful of grapes"})
    other = AppointmentFactory(pet__owner=parent, pet__name="Bella", veterinarian=vet)
    send_message(vet, other, "No grapes or raisins for Bella, please")
    page = page_for(parent)
    page.goto(f"{live_server.url}/appointments/")

    # when the parent goes to search from the navigation and searches, by keyboard alone
    tab_to(page, "Search")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/search/$"))
    tab_to(page, "search-q")
    page.keyboard.type("grape")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/search/\?q=grape"))

    # then both messages are listed, newest first, the word marked, the query kept
    hits = page.locator(".search-hit")
    expect(hits).to_have_count(2)
    expect(hits.first).to_contain_text("Bella")
    expect(hits.nth(1).locator("mark")).to_have_text("grapes")
    expect(page.get_by_label("Words to find in your chats")).to_have_value("grape")

    # when the parent opens the older one
    tab_to(page, re.compile(r"^Rex"))
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/appointments/{appointment.pk}/\?message="))

    # then the chat shows that message, highlighted and focused, with its neighbours around it
    found = page.locator(f"#m-{messages[40].pk}")
    expect(found).to_have_class(re.compile(r"\bfound\b"))
    expect(found).to_be_focused()
    expect(found).to_be_in_viewport()
    expect(found).to_contain_text("Search result")
    expect(page.locator(".message[data-seq='39']")).to_be_attached()
    expect(page.locator(".message[data-seq='41']")).to_be_attached()
    expect(page.locator(".message")).to_have_count(51)  # 15 to 65
    assert page.evaluate(FOCUSED) == f"m-{messages[40].pk}"

    # and the rest of the chat is a key away: earlier messages, then later ones to the end
    tab_to(page, "Load later messages")
    page.keyboard.press("Enter")
    expect(page.locator(".message")).to_have_count(101)
    expect(page.get_by_role("button", name="Load later messages")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator(".message")).to_have_count(136)
    expect(page.get_by_role("button", name="Load later messages")).to_be_hidden()
    expect(page.locator("#conversation")).to_be_focused()
    assert page.evaluate(
        "() => [...document.querySelectorAll('.message')].map((m) => +m.dataset.seq)"
    ) == list(range(15, 151))

    tab_to(page, "Load earlier messages")
    page.keyboard.press("Enter")
    expect(page.locator(".message")).to_have_count(150)
    expect(page.locator(".message").first).to_have_attribute("data-seq", "1")

    # and once at the end it is live again: the vet's next message arrives by itself
    send_message(vet, appointment, "How is she now?")
    expect(page.locator(".message .content").last).to_have_text(
        "How is she now?", timeout=SEEN_WITHIN_MS
    )
    assert page.js_errors == []


def test_a_message_sent_from_far_back_shows_the_chat_at_its_end(page_for, live_server, parent, vet):
    appointment = AppointmentFactory(pet__owner=parent, veterinarian=vet)
    messages = long_chat(appointment, parent, vet, 120, {10: "the itching came back"})
    page = page_for(vet)
    page.goto(f"{live_server.url}/search/?q=itching")
    page.locator(".hit-link").first.click()
    expect(page.locator(f"#m-{messages[10].pk}")).to_be_focused()

    page.get_by_label("Your message").fill("Let us book a check, then")
    page.get_by_label("Your message").press("Enter")

    page.wait_for_url(re.compile(rf"/appointments/{appointment.pk}/#chat-end$"))
    expect(page.locator(".message .content").last).to_have_text("Let us book a check, then")
    expect(page.locator(".message")).to_have_count(50)
    assert page.js_errors == []


def test_nothing_found_and_a_refused_query_keep_what_was_typed(page_for, live_server, parent):
    page = page_for(parent, width=360)
    page.goto(f"{live_server.url}/search/")
    field = page.get_by_label("Words to find in your chats")
    field.fill('"blue tongue" -cat')
    field.press("Enter")
    expect(page.locator(".empty-state")).to_contain_text('No messages match “"blue tongue" -cat”.')
    expect(field).to_have_value('"blue tongue" -cat')

    # maxlength stops typing; a link or an older browser may still bring more
    page.evaluate("() => { document.getElementById('search-q').removeAttribute('maxlength'); }")
    field.fill("x" * 205)
    field.press("Enter")
    expect(page.locator("#search-error")).to_have_text("Use at most 200 characters.")
    expect(field).to_have_value("x" * 205)
    expect(field).to_have_attribute("aria-invalid", "true")
