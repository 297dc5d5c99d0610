"""Correcting, removing and acknowledging in a real browser, seen live on the other side."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from chat.models import Message, MessageRevision
from tests.factories import send_message

pytestmark = pytest.mark.django_db(transaction=True)

SEEN_WITHIN_MS = 12_000  # a poll interval, and a margin for a machine running a cluster beside


def chat_url(live_server, appointment) -> str:
    return f"{live_server.url}/appointments/{appointment.pk}/"


def test_the_sender_corrects_a_message_and_the_other_side_sees_it(
    page_for, live_server, appointment, parent, vet
):
    parent_page, vet_page = page_for(parent), page_for(vet)
    parent_page.goto(chat_url(live_server, appointment))
    vet_page.goto(chat_url(live_server, appointment))
    parent_page.get_by_label("Your message").fill("Rex ate a grape")
    parent_page.get_by_label("Your message").press("Enter")
    mine = parent_page.locator(".message.mine")
    expect(vet_page.locator(".message.theirs .content")).to_have_text(
        "Rex ate a grape", timeout=SEEN_WITHIN_MS
    )

    # the parent corrects it with the keyboard: Edit, retype, Enter
    mine.get_by_role("button", name="Edit").click()
    editor = mine.get_by_label("Correct your message")
    expect(editor).to_be_focused()
    editor.fill("Rex ate three grapes")
    editor.press("Enter")
    expect(mine.locator(".content")).to_have_text("Rex ate three grapes")
    expect(mine.locator(".edited")).to_have_text("edited")

    # the vet sees the correction without reloading, marked edited
    theirs = vet_page.locator(".message.theirs")
    expect(theirs.locator(".content")).to_have_text("Rex ate three grapes", timeout=SEEN_WITHIN_MS)
    expect(theirs.locator(".edited")).to_be_visible()
    assert MessageRevision.objects.get().content == "Rex ate a grape"
    assert parent_page.js_errors == [] and vet_page.js_errors == []


def test_an_old_message_offers_no_edit(page_for, live_server, appointment, parent):
    send_message(parent, appointment, "from an hour ago")
    Message.objects.update(created_at=timezone.now() - timedelta(hours=1))
    page = page_for(parent)
    page.goto(chat_url(live_server, appointment))
    expect(page.locator(".message.mine .content")).to_have_text("from an hour ago")
    expect(page.get_by_role("button", name="Edit")).to_have_count(0)
    expect(page.get_by_role("button", name="Remove")).to_have_count(0)


def test_a_removed_message_disappears_on_both_sides(
    page_for, live_server, appointment, parent, vet
):
    send_message(parent, appointment, "Our door code is 4512")
    parent_page, vet_page = page_for(parent), page_for(vet)
    parent_page.goto(chat_url(live_server, appointment))
    vet_page.goto(chat_url(live_server, appointment))
    parent_page.on("dialog", lambda dialog: dialog.accept())
    parent_page.get_by_role("button", name="Remove").click()
    expect(parent_page.locator(".message.mine .removed")).to_have_text("Message removed")
    expect(vet_page.locator(".message.theirs .removed")).to_have_text(
        "Message removed", timeout=SEEN_WITHIN_MS
    )
    expect(vet_page.get_by_text("4512")).to_have_count(0)
    assert Message.objects.get().content == "Our door code is 4512"  # kept for the record


def test_the_parent_acknowledges_a_prescription_and_the_vet_sees_it(
    page_for, live_server, appointment, parent, vet
):
    send_message(
        vet, appointment, "", message_type="prescription", payload={"medication": "Otomax"}
    )
    parent_page, vet_page = page_for(parent), page_for(vet)
    parent_page.goto(chat_url(live_server, appointment))
    vet_page.goto(chat_url(live_server, appointment))
    expect(vet_page.get_by_role("button", name="I have read and understood")).to_have_count(0)

    parent_page.get_by_role("button", name="I have read and understood this prescription").click()
    expect(parent_page.locator(".acknowledgement")).to_contain_text(
        "Read and understood by Alex Morgan"
    )
    expect(vet_page.locator(".acknowledgement")).to_contain_text(
        "Read and understood by Alex Morgan", timeout=SEEN_WITHIN_MS
    )
    assert Message.objects.get().acknowledged_by == parent
    assert parent_page.js_errors == [] and vet_page.js_errors == []


def test_the_vet_amends_a_prescription_and_both_sides_see_which_amends_which(
    page_for, live_server, appointment, parent, vet
):
    rx = {"message_type": "prescription", "payload": {"medication": "Otomax"}}
    send_message(vet, appointment, "Twice a day", **rx)
    parent_page, vet_page = page_for(parent), page_for(vet)
    parent_page.goto(chat_url(live_server, appointment))
    vet_page.goto(chat_url(live_server, appointment))
    expect(parent_page.get_by_role("link", name="Amend")).to_have_count(0)

    vet_page.get_by_role("link", name="Amend prescription #1").click()
    expect(vet_page.locator(".amending")).to_contain_text("Amending prescription #1")
    expect(vet_page.get_by_label("Medication")).to_have_value("Otomax")
    expect(vet_page.get_by_label("Your message")).to_have_value("Twice a day")
    vet_page.get_by_label("Medication").fill("Otomax, 3 drops")
    vet_page.get_by_role("button", name="Send").click()

    amendment = vet_page.locator(".message.mine").nth(1)
    expect(amendment.locator(".amends")).to_have_text("· amends #1")
    expect(vet_page.locator(".message").first.locator(".amended-by")).to_have_text(
        "· amended by #2"
    )
    # The composer writes new messages again, and a reload does not reopen the amendment.
    expect(vet_page.locator(".amending")).to_have_count(0)
    expect(vet_page.get_by_label("Message", exact=True)).to_be_checked()
    assert "amend=" not in vet_page.url
    expect(parent_page.locator(".message").first.locator(".amended-by")).to_have_text(
        "· amended by #2", timeout=SEEN_WITHIN_MS
    )
    stored = Message.objects.get(seq=2)
    assert stored.amends.seq == 1 and stored.payload["medication"] == "Otomax, 3 drops"
    assert parent_page.js_errors == [] and vet_page.js_errors == []


def test_an_amendment_given_up_leaves_an_empty_composer(page_for, live_server, appointment, vet):
    send_message(vet, appointment, "", message_type="assessment", payload={"diagnosis": "Otitis"})
    page = page_for(vet)
    page.goto(chat_url(live_server, appointment))
    page.get_by_role("link", name="Amend assessment #1").click()
    expect(page.get_by_label("Diagnosis")).to_have_value("Otitis")
    page.get_by_role("link", name="Cancel").click()
    expect(page.locator(".amending")).to_have_count(0)
    expect(page.get_by_label("Your message")).to_be_focused()
    expect(page.get_by_label("Message", exact=True)).to_be_checked()
    page.reload()
    expect(page.get_by_label("Your message")).to_have_value("")
    expect(page.locator(".amending")).to_have_count(0)
    assert page.js_errors == []


def test_changed_messages_look_alike_live_and_served(
    page_for, live_server, appointment, parent, vet, client_for
):
    page = page_for(parent)
    page.goto(chat_url(live_server, appointment))
    first = send_message(
        vet, appointment, "", message_type="prescription", payload={"medication": "Otomax"}
    )
    send_message(
        vet,
        appointment,
        "",
        message_type="prescription",
        payload={"medication": "Otomax, 2 drops"},
        amends=first.id,
    )
    typo = send_message(parent, appointment, "Thnaks")
    gone = send_message(parent, appointment, "wrong chat, sorry")
    expect(page.locator(".messages .message")).to_have_count(4, timeout=SEEN_WITHIN_MS)

    api = client_for(parent)
    url = "/api/appointment-chat/messages"
    api.post(f"{url}/{first.id}/acknowledgement")
    api.patch(f"{url}/{typo.id}", {"content": "Thanks"}, content_type="application/json")
    api.patch(f"{url}/{gone.id}", {"retracted": True}, content_type="application/json")
    expect(page.locator(".message .removed")).to_have_count(1, timeout=SEEN_WITHIN_MS)
    expect(page.locator(".acknowledgement")).to_have_count(1)
    expect(page.locator(".edited")).to_have_count(1)
    live = page.locator(".messages").inner_html()

    page.reload()
    expect(page.locator(".message .removed")).to_have_count(1)
    served = page.locator(".messages").inner_html()
    assert re.sub(r"\s+", "", live) == re.sub(r"\s+", "", served)
    assert "amends #1" in served
    assert page.js_errors == []
