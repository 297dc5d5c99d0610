"""The intake step in a real browser: a pet parent's first message goes through it with the
keyboard alone (axe over the step once), and the vet reads the answers as a card."""

import pytest
from playwright.sync_api import expect

from chat.models import Message
from tests.e2e.a11y import axe_violations, describe
from tests.e2e.test_attachments import file_payload, photo
from triage.models import ChatRoute

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_first_message_goes_through_the_intake_and_the_vet_reads_the_card(
    page_for, live_server, appointment, parent, vet
):
    page = page_for(parent)
    page.goto(f"{live_server.url}/appointments/{appointment.pk}/")
    step = page.get_by_role("group", name="What is your message about?")
    expect(step).to_be_visible()
    questions = page.get_by_role("group", name="For a medical question")
    expect(questions).to_be_hidden()  # shown for a medical question only
    violations = axe_violations(page)
    assert not violations, describe(violations)

    # Keyboard only: into the categories, the medical question, its questions, the message.
    page.get_by_role("radio", name="Medical question").focus()
    page.keyboard.press("Space")
    expect(questions).to_be_visible()
    page.get_by_role("radio", name="Struggling to breathe").focus()
    page.keyboard.press("Space")
    page.get_by_role("radio", name="1 to 3 days").focus()
    page.keyboard.press("Space")
    page.get_by_label("Your message").focus()
    page.keyboard.type("Bella is wheezing.")
    page.keyboard.press("Enter")

    mine = page.locator(".message.mine")
    expect(mine.locator(".content")).to_have_text("Bella is wheezing.")
    expect(step).to_have_count(0)  # the topic is open: plain messages from here
    intake = Message.objects.get(message_type=Message.Type.INTAKE)
    assert intake.payload["category"] == "medical"
    assert ChatRoute.objects.get().pool.name == "Vets"

    vet_page = page_for(vet)
    vet_page.goto(f"{live_server.url}/appointments/{appointment.pk}/")
    card = vet_page.locator(".message.theirs .intake-card")
    expect(card.locator(".intake-category")).to_have_text("Medical question")
    expect(card.locator("dt")).to_have_text(
        ["How is their breathing?", "How long has this been going on?"]
    )
    expect(card.locator("dd")).to_have_text(["Struggling to breathe", "1 to 3 days"])
    expect(vet_page.locator(".message.theirs .content")).to_have_text("Bella is wheezing.")

    # A new topic with a photo: the intake says what it is about, the words go with the photo.
    page.get_by_role("link", name="New topic").click()
    page.get_by_role("radio", name="Medication or refill").check()
    page.locator(".attach-input").set_input_files(
        file_payload("box.png", "image/png", photo(40, 30))
    )
    expect(page.locator(".upload-chip.is-done")).to_have_count(1)
    page.get_by_label("Your message").fill("The box is empty.")
    # the intake's first try is lost on the way: its Retry sends it, and the photo after it
    lost: list[str] = []

    def lose_the_first_send(route) -> None:
        if route.request.method == "POST" and not lost:
            lost.append(route.request.post_data_json["messageType"])
            route.abort()
        else:
            route.continue_()

    page.route("**/api/appointment-chat/messages*", lose_the_first_send)
    page.get_by_label("Your message").press("Enter")
    page.get_by_role("button", name="Retry").click()
    assert lost == ["intake"]
    photo_message = page.locator(".message.mine").last
    expect(photo_message.locator("img.thumb")).to_have_attribute("alt", "box.png")
    expect(photo_message.locator(".content")).to_have_text("The box is empty.")
    expect(page.get_by_role("group", name="New topic: what is it about?")).to_have_count(0)
    assert ChatRoute.objects.get().category == "medication"
    assert Message.objects.filter(message_type=Message.Type.INTAKE).count() == 2  # none doubled
    assert not page.js_errors and not vet_page.js_errors
