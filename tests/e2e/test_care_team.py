"""A clinic as it works, in a real browser: a nurse answers and the vet hands over; a co-owner
is invited, writes, and loses the page the moment the owner revokes them; mark unread brings the
badge back."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from appointments.models import CoOwnership
from tests.care_team import team_member
from tests.factories import PetParentFactory, VetFactory, send_message
from tests.queued_email import send_queued_emails

pytestmark = pytest.mark.django_db(transaction=True)

SEEN_WITHIN_MS = 8_000  # a push, or one poll interval, and a margin


def chat_url(live_server, appointment) -> str:
    return f"{live_server.url}/appointments/{appointment.pk}/"


def send_text(page, text: str) -> None:
    page.get_by_label("Your message").fill(text)
    page.get_by_label("Your message").press("Enter")


def test_a_nurse_answers_and_the_vet_hands_over(page_for, live_server, appointment, parent, vet):
    nurse = team_member(appointment)
    VetFactory(name="Dr. Ravi Patel")
    parent_page, nurse_page, vet_page = page_for(parent), page_for(nurse), page_for(vet)
    for page in (parent_page, nurse_page):
        page.goto(chat_url(live_server, appointment))

    # the parent writes, and the nurse on the team answers
    send_text(parent_page, "Rex is limping again")
    expect(nurse_page.locator(".message.theirs .content")).to_have_text(
        "Rex is limping again", timeout=SEEN_WITHIN_MS
    )
    send_text(nurse_page, "Rest him today; Dr. Foster will call.")
    answer = parent_page.locator(".message.theirs").last
    expect(answer.locator(".content")).to_have_text(
        "Rest him today; Dr. Foster will call.", timeout=SEEN_WITHIN_MS
    )
    expect(answer.locator(".sender")).to_have_text("Sam Lee")
    expect(answer.locator(".sender-role")).to_have_text("· Nurse")
    # the parent's message is read by the nurse, and says so
    expect(parent_page.locator(".message.mine .receipt")).to_have_text(
        "Read by Sam Lee", timeout=SEEN_WITHIN_MS
    )

    # the vet hands the conversation to the on-call vet
    vet_page.goto(chat_url(live_server, appointment))
    team = vet_page.get_by_role("region", name="Care team")
    expect(team).to_contain_text("Sam Lee · Nurse")
    team.get_by_label("Hand this conversation over to").select_option(label="Dr. Ravi Patel")
    team.get_by_role("button", name="Hand over").click()
    expect(vet_page).to_have_url(re.compile(r"/dashboard/$"))

    # and everyone in the chat sees it recorded
    notice = re.compile(r"Dr\. Jane Foster handed this conversation to Dr\. Ravi Patel, \d\d:\d\d")
    for page in (parent_page, nurse_page):
        expect(page.locator(".message-system .content")).to_have_text(
            notice, timeout=SEEN_WITHIN_MS
        )
    assert parent_page.js_errors == [] and nurse_page.js_errors == [] and vet_page.js_errors == []


def test_a_co_owner_is_invited_writes_and_is_revoked_mid_session(
    page_for, live_server, appointment, parent
):
    robin = PetParentFactory(name="Robin Morgan", email="robin@example.com")
    owner_page = page_for(parent)
    owner_page.goto(f"{live_server.url}/appointments/")

    # the owner invites Robin by email
    card = owner_page.locator(f"#pet-{appointment.pet.pk}")
    expect(card).to_contain_text("No co-owners.")
    card.get_by_label(f"Invite a co-owner of {appointment.pet.name} by email").fill("robin@")
    card.get_by_role("button", name="Send invitation").click()
    # a bad address is refused, keeping what was typed
    card = owner_page.locator(f"#pet-{appointment.pet.pk}")
    field = card.get_by_label(f"Invite a co-owner of {appointment.pet.name} by email")
    expect(field).to_have_value("robin@")
    expect(card.locator(".field-error")).to_have_text("Enter a valid email address.")
    field.fill("robin@example.com")
    card.get_by_role("button", name="Send invitation").click()
    expect(owner_page.locator(f"#pet-{appointment.pet.pk}")).to_contain_text(
        "Invited, not yet accepted"
    )
    send_queued_emails()
    [invitation] = mail.outbox
    link = re.search(r"/co-owners/accept/\S+/", invitation.body).group(0)

    # Robin accepts and writes in the pet's chat
    robin_page = page_for(robin)
    robin_page.goto(f"{live_server.url}{link}")
    expect(robin_page.get_by_role("main")).to_contain_text("invites you to co-own")
    robin_page.get_by_role("button", name="Accept").click()
    expect(robin_page.locator(".flash")).to_contain_text(f"You now co-own {appointment.pet.name}")
    robin_page.goto(chat_url(live_server, appointment))
    send_text(robin_page, "Robin here: he ate well tonight")
    expect(robin_page.locator(".message.mine .receipt")).to_have_text(re.compile("Sent|Read"))

    # the owner sees Robin's message under Robin's name
    owner_chat = page_for(parent)
    owner_chat.goto(chat_url(live_server, appointment))
    theirs = owner_chat.locator(".message.theirs").last
    expect(theirs.locator(".sender")).to_have_text("Robin Morgan")

    # when the owner removes Robin, Robin's open page is gone at once
    owner_page.goto(f"{live_server.url}/appointments/")
    owner_page.get_by_role(
        "button", name=f"Remove Robin Morgan as co-owner of {appointment.pet.name}"
    ).click()
    expect(owner_page.locator(".flash")).to_contain_text("no longer co-owns")
    expect(robin_page.get_by_role("heading", level=1)).to_have_text(
        re.compile("not found", re.I), timeout=SEEN_WITHIN_MS
    )
    assert CoOwnership.objects.get(user=robin).revoked_at is not None
    assert robin_page.js_errors == [] and owner_page.js_errors == []


def test_mark_unread_brings_the_badge_back(page_for, live_server, appointment, parent, vet):
    send_message(vet, appointment, "Results are in")
    send_message(vet, appointment, "All normal")
    page = page_for(parent)
    page.goto(chat_url(live_server, appointment))
    expect(page.locator(".message.theirs")).to_have_count(2)

    # read: no badge in the list
    page.goto(f"{live_server.url}/appointments/")
    badge = page.locator(f'[data-unread-for="{appointment.pk}"]')
    expect(badge).to_be_hidden()

    # marked unread from the first message, by keyboard
    page.goto(chat_url(live_server, appointment))
    first = page.locator(".message.theirs").first
    first.get_by_role("button", name="Mark unread from here").focus()
    page.keyboard.press("Enter")
    expect(first.locator(".marked-unread")).to_be_visible()
    expect(page.locator(".site-nav [data-unread-total]")).to_contain_text("2")

    page.goto(f"{live_server.url}/appointments/")
    expect(badge).to_be_visible()
    expect(badge.locator(".unread-count")).to_have_text("2")
    # the vet's receipts stay read
    vet_page = page_for(vet)
    vet_page.goto(chat_url(live_server, appointment))
    expect(vet_page.locator(".message.mine .receipt").first).to_have_text("Read by Alex Morgan")
    assert page.js_errors == [] and vet_page.js_errors == []
