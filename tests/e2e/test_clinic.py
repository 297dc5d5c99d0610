"""The clinic's features in a real browser: the red-flag banner arriving live on both sides and
the urgent chat leading the vet's list, the after-hours reply sent once, the canned-answer
picker used by keyboard alone, and axe over every state these add to the pages."""

import re

import pytest
from playwright.sync_api import Page, expect

from chat.models import Message
from clinic.models import CannedAnswer
from tests.clinic.conftest import closed_now, furnish_clinic, open_now
from tests.e2e.a11y import axe_violations, describe
from tests.e2e.conftest import new_page
from tests.factories import AppointmentFactory, PetParentFactory, first_clinic, send_message
from tests.servers import AsgiServer

pytestmark = pytest.mark.django_db(transaction=True)

# Polling off: what appears without a reload came by push. Settings read fresh each time.
SERVER_ENV = {"DJANGO_CHAT_POLL_SECONDS": "3600", "VETCHAT_CLINIC_SETTINGS_SECONDS": "0"}
PUSHED_WITHIN_MS = 3_000
WIDTHS = [360, 1280]


@pytest.fixture
def server():
    started = AsgiServer(env=SERVER_ENV).start()
    yield started
    started.stop()


@pytest.fixture(autouse=True)
def clinic(transactional_db):
    return furnish_clinic()


@pytest.fixture
def open_page(new_context, clinic):
    def make(server: AsgiServer, user, path: str, width: int = 1280) -> Page:
        page = new_page(new_context(user, server.url, width=width))
        page.goto(f"{server.url}{path}")
        if path.startswith("/appointments/"):
            expect(page.locator(".live-status")).to_have_text("Live")
        return page

    return make


def chat_path(appointment) -> str:
    return f"/appointments/{appointment.pk}/"


def test_a_red_flag_shows_the_banner_on_both_open_pages_and_leads_the_vets_list(
    server, open_page, vet
):
    open_now()
    calm = AppointmentFactory(veterinarian=vet, pet__name="Biscuit", pet__owner=PetParentFactory())
    send_message(calm.pet_parent, calm, "Biscuit has been sneezing")  # waiting longer
    appointment = AppointmentFactory(veterinarian=vet, pet__name="Rex")
    parent = appointment.pet_parent
    parent_page = open_page(server, parent, chat_path(appointment))
    vet_page = open_page(server, vet, chat_path(appointment))
    for page in (parent_page, vet_page):
        expect(page.get_by_role("alert").filter(has_text="emergency")).to_have_count(0)

    parent_page.get_by_label("Your message").fill("Rex got hit by a car and is bleeding a lot")
    parent_page.get_by_label("Your message").press("Enter")

    parent_banner = parent_page.locator("#urgent-banner")
    expect(parent_banner).to_be_visible(timeout=PUSHED_WITHIN_MS)
    expect(parent_banner).to_have_attribute("role", "alert")
    expect(parent_banner).to_contain_text("This may be an emergency")
    expect(parent_banner.get_by_role("link", name="01632 960 999")).to_have_attribute(
        "href", "tel:01632960999"
    )
    vet_banner = vet_page.locator("#urgent-banner")
    expect(vet_banner).to_be_visible(timeout=PUSHED_WITHIN_MS)
    expect(vet_banner).to_contain_text("Urgent: possible emergency")
    expect(vet_banner.locator(".urgent-sign")).to_have_text(
        "Bleeding that won't stop, Hit by a car"
    )

    vet_page.goto(f"{server.url}/dashboard/")
    inbox = vet_page.get_by_role("region", name="Needs reply")
    expect(inbox.locator(".pet-name")).to_have_text(["Rex", "Biscuit"])
    expect(inbox.locator(".appointment-row").first).to_contain_text("Urgent: Bleeding")
    assert parent_page.js_errors == [] and vet_page.js_errors == []


def test_an_after_hours_message_gets_its_automatic_reply_once(server, open_page, appointment):
    closed_now()
    parent = appointment.pet_parent
    page = open_page(server, parent, chat_path(appointment))
    notice = page.locator("#closed-notice")
    expect(notice).to_contain_text(re.compile(r"The clinic is closed — replies from \w+ 08:00"))
    expect(notice.get_by_role("link", name="01632 960 999")).to_be_visible()

    composer = page.get_by_label("Your message")
    composer.fill("Is Rex due his booster?")
    composer.press("Enter")
    reply = page.locator(".message.theirs .content", has_text="We are closed")
    expect(reply).to_have_count(1, timeout=PUSHED_WITHIN_MS)
    expect(reply).to_contain_text("City Animal Emergency Hospital: 01632 960 999")

    composer.fill("And he is limping a little.")
    composer.press("Enter")
    expect(page.locator(".message.mine .content")).to_have_count(2)
    expect(page.locator(".message.mine .receipt").last).to_have_text(re.compile("Sent|Read"))
    page.reload()
    expect(page.locator(".message .content", has_text="We are closed")).to_have_count(1)
    assert Message.objects.filter(message_type=Message.Type.SYSTEM).count() == 1
    assert page.js_errors == []


def test_a_canned_answer_is_inserted_with_the_keyboard_alone_and_not_sent(server, open_page, vet):
    open_now()
    appointment = AppointmentFactory(veterinarian=vet, pet__name="Rex")
    CannedAnswer.objects.create(owner=vet, title="Fasting", body="Please fast {pet} from 10 pm.")
    CannedAnswer.objects.create(
        clinic=first_clinic(), title="Call us", body="Call {clinic_phone} any time."
    )
    page = open_page(server, vet, chat_path(appointment))
    composer = page.get_by_label("Your message")
    composer.focus()

    page.keyboard.type("/")
    picker = page.get_by_role("listbox", name="Canned answers")
    expect(picker).to_be_visible()
    expect(picker.get_by_role("option")).to_have_count(2)
    page.keyboard.type("call")
    expect(picker.get_by_role("option")).to_have_count(1)
    page.keyboard.press("Backspace")
    page.keyboard.press("Backspace")
    page.keyboard.press("Backspace")
    page.keyboard.press("Backspace")
    expect(picker.get_by_role("option")).to_have_count(2)
    page.keyboard.press("ArrowDown")
    selected = picker.get_by_role("option", selected=True)
    expect(selected).to_contain_text("Call us")
    expect(composer).to_have_attribute("aria-activedescendant", selected.get_attribute("id"))
    page.keyboard.press("ArrowUp")
    expect(picker.get_by_role("option", selected=True)).to_contain_text("Fasting")

    page.keyboard.press("Enter")
    expect(picker).to_be_hidden()
    expect(composer).to_have_value("Please fast Rex from 10 pm.")
    expect(composer).to_be_focused()
    assert page.locator(".message.mine").count() == 0  # inserted for editing, never sent

    page.keyboard.type(" Water is fine.")
    page.keyboard.press("Enter")
    expect(page.locator(".message.mine .content")).to_have_text(
        "Please fast Rex from 10 pm. Water is fine."
    )

    page.keyboard.type("/")
    expect(picker).to_be_visible()
    page.keyboard.press("Escape")
    expect(picker).to_be_hidden()
    expect(composer).to_have_value("/")
    assert page.js_errors == []


def test_a_pet_parent_gets_no_picker(server, open_page, appointment):
    open_now()
    CannedAnswer.objects.create(clinic=first_clinic(), title="Call us", body="Call us.")
    page = open_page(server, appointment.pet_parent, chat_path(appointment))
    page.get_by_label("Your message").focus()
    page.keyboard.type("/")
    expect(page.get_by_role("listbox")).to_have_count(0)
    assert page.locator("#canned-answers").count() == 0


def test_canned_answers_page_by_keyboard_keeps_input_on_error(server, open_page, vet):
    page = open_page(server, vet, "/canned-answers/")
    expect(page.get_by_text("You have no canned answers yet")).to_be_visible()
    page.get_by_label("Text").fill("Hello {parent}, {pet} is ready to go home.")
    page.get_by_label("Text").focus()
    page.keyboard.press("Shift+Tab")  # back to the title, left empty
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")  # the add button
    page.keyboard.press("Enter")
    expect(page.locator("#id_title_error")).to_be_visible()
    expect(page.get_by_label("Text")).to_have_value("Hello {parent}, {pet} is ready to go home.")

    page.get_by_label("Title").fill("Ready")
    page.get_by_role("button", name="Add canned answer").click()
    expect(page.get_by_role("heading", name="Ready")).to_be_visible()
    page.get_by_role("link", name="Edit “Ready”").click()
    page.get_by_label("Title").fill("Ready for pick-up")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Ready for pick-up")).to_be_visible()
    page.get_by_role("button", name="Delete “Ready for pick-up”").click()
    expect(page.get_by_text("You have no canned answers yet")).to_be_visible()
    assert page.js_errors == []


# axe over every state the clinic adds ------------------------------------------------------


def urgent_clinic(vet):
    appointment = AppointmentFactory(
        veterinarian=vet, pet__name="Rex " + "Longname" * 6, pet__species="cat"
    )
    send_message(appointment.pet_parent, appointment, "He is straining to pee and crying")
    CannedAnswer.objects.create(owner=vet, title="Fasting", body="Please fast {pet}.")
    CannedAnswer.objects.create(
        clinic=first_clinic(), title="Call us " + "very " * 14, body="Call {clinic_phone}."
    )
    return appointment


def assert_clean(page: Page, what: str) -> None:
    violations = axe_violations(page)
    assert violations == [], f"{what}:\n{describe(violations)}"


@pytest.mark.parametrize("width", WIDTHS)
def test_the_clinics_states_have_no_axe_violations(server, open_page, vet, width):
    closed_now()
    appointment = urgent_clinic(vet)

    parent_page = open_page(server, appointment.pet_parent, chat_path(appointment), width)
    expect(parent_page.locator("#urgent-banner")).to_be_visible()
    expect(parent_page.locator("#closed-notice")).to_be_visible()
    assert_clean(parent_page, f"parent's urgent, closed chat at {width}")

    vet_page = open_page(server, vet, chat_path(appointment), width)
    expect(vet_page.locator("#urgent-banner")).to_be_visible()
    vet_page.get_by_label("Your message").focus()
    vet_page.keyboard.type("/")
    expect(vet_page.get_by_role("listbox", name="Canned answers")).to_be_visible()
    assert_clean(vet_page, f"vet's urgent chat with the picker open at {width}")

    vet_page.goto(f"{server.url}/dashboard/")
    expect(vet_page.locator("[data-urgent]")).to_be_visible()
    assert_clean(vet_page, f"dashboard with an urgent chat at {width}")

    vet_page.goto(f"{server.url}/canned-answers/")
    assert_clean(vet_page, f"canned answers at {width}")
    vet_page.get_by_role("button", name="Add canned answer").click()
    expect(vet_page.locator("#id_title_error")).to_be_visible()
    assert_clean(vet_page, f"canned answers with errors at {width}")
    answer = CannedAnswer.objects.get(owner=vet)
    vet_page.goto(f"{server.url}/canned-answers/{answer.pk}/")
    assert_clean(vet_page, f"editing a canned answer at {width}")


@pytest.mark.parametrize("width", WIDTHS)
def test_empty_canned_answers_page_has_no_axe_violations(server, open_page, vet, width):
    page = open_page(server, vet, "/canned-answers/", width)
    expect(page.get_by_text("The clinic has no shared canned answers yet.")).to_be_visible()
    assert_clean(page, f"empty canned answers at {width}")
