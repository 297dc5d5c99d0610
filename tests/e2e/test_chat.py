"""The chat page in a real browser: two people talking, and what goes wrong on the way."""

import re

import pytest
from playwright.sync_api import expect

from chat.models import Message
from chat.services import access_chat, message_edit, message_retract, prescription_acknowledge
from tenancy.models import Clinic
from tests.attachments import files
from tests.factories import send_message, upload_attachment

READ = re.compile(r"^Read( by .+)?$")  # a receipt names its reader when known

pytestmark = pytest.mark.django_db(transaction=True)

SEEN_WITHIN_MS = 12_000  # a poll interval, and a margin for a machine running a cluster beside
API = "**/api/appointment-chat/messages*"


def chat_url(live_server, appointment) -> str:
    return f"{live_server.url}/appointments/{appointment.pk}/"


def send_text(page, text: str) -> None:
    page.get_by_label("Your message").fill(text)
    page.get_by_label("Your message").press("Enter")


def drawn(page) -> list[str]:
    """Each item of the conversation (message or day separator) as the page holds it now,
    whitespace aside: what the server drew, whether it came with the page or later."""
    nodes = page.locator(".messages > li").evaluate_all("nodes => nodes.map(n => n.outerHTML)")
    return [re.sub(r"\s+", "", node) for node in nodes]


def assert_drawn_by_the_server(page, live: list[str], artifacts, name: str) -> None:
    """What arrived live is, node for node, what the server draws when the page is loaded."""
    page.reload()
    expect(page.locator(".messages .message")).to_have_count(
        sum('class="message' in node for node in live)
    )
    served = drawn(page)
    (artifacts / f"{name}-live.html").write_text("\n".join(live))
    (artifacts / f"{name}-served.html").write_text("\n".join(served))
    assert live == served


def test_parent_and_vet_talk_live(page_for, live_server, appointment, parent, vet):
    parent_page, vet_page = page_for(parent), page_for(vet)
    parent_page.goto(chat_url(live_server, appointment))
    vet_page.goto(chat_url(live_server, appointment))

    # the parent writes; the vet sees it without reloading
    send_text(parent_page, "Biscuit ate a sock")
    expect(parent_page.locator(".message.mine .content")).to_have_text("Biscuit ate a sock")
    expect(vet_page.locator(".message.theirs .content")).to_have_text(
        "Biscuit ate a sock", timeout=SEEN_WITHIN_MS
    )

    # the vet, having seen it, answers with a prescription
    vet_page.get_by_label("Prescription", exact=True).check()
    vet_page.get_by_label("Medication").fill("Activated charcoal")
    vet_page.get_by_label("Dose").fill("1 g/kg")
    vet_page.get_by_label("Frequency").fill("once")
    vet_page.get_by_label("Your message").fill("Give this now, then come in.")
    vet_page.get_by_role("button", name="Send").click()

    card = parent_page.locator(".message-prescription")
    expect(card).to_be_visible(timeout=SEEN_WITHIN_MS)
    expect(card.locator(".card-label")).to_have_text("Prescription")
    expect(card.locator(".rx")).to_contain_text("Activated charcoal")
    expect(card.locator(".rx")).to_contain_text("1 g/kg")

    # the parent's message is marked read, since the vet has seen it
    expect(parent_page.locator(".message.mine .receipt")).to_have_text(READ, timeout=SEEN_WITHIN_MS)
    # a pet parent is never offered the vet's message types
    expect(parent_page.get_by_label("Prescription", exact=True)).to_have_count(0)
    assert parent_page.js_errors == [] and vet_page.js_errors == []


def test_html_in_a_message_is_shown_as_text(page_for, live_server, appointment, parent, vet):
    attack = '<img src=x onerror="window.__xss=1">'
    parent_page, vet_page = page_for(parent), page_for(vet)
    parent_page.goto(chat_url(live_server, appointment))
    vet_page.goto(chat_url(live_server, appointment))

    send_text(parent_page, attack)

    expect(vet_page.locator(".message.theirs .content")).to_have_text(
        attack, timeout=SEEN_WITHIN_MS
    )
    expect(parent_page.locator(".message.mine .content")).to_have_text(attack)
    vet_page.reload()  # and as the server renders it
    expect(vet_page.locator(".message.theirs .content")).to_have_text(attack)
    for page in (parent_page, vet_page):
        assert page.evaluate("window.__xss") is None
        assert page.locator(".messages img").count() == 0


def test_a_failed_send_keeps_the_text_and_a_retry_sends_it_once(
    page_for, live_server, appointment, parent
):
    page = page_for(parent)
    page.goto(chat_url(live_server, appointment))

    # the message reaches the server, but the answer is lost on the way back
    def lose_the_answer(route) -> None:
        if route.request.method == "POST":
            route.fetch()
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route(API, lose_the_answer)
    send_text(page, "Is the clinic open on Sunday?")

    failed = page.locator(".message.failed")
    expect(failed.locator(".content")).to_have_text("Is the clinic open on Sunday?")
    expect(failed.get_by_role("button", name="Retry")).to_be_visible()

    page.unroute(API)
    failed.get_by_role("button", name="Retry").click()

    expect(page.locator(".message.mine .receipt")).to_have_text(re.compile("Sent|Read"))
    expect(page.locator(".message.failed")).to_have_count(0)
    page.wait_for_timeout(300)  # let the poll that follows a send come back
    expect(page.locator(".message.mine")).to_have_count(1)
    assert Message.objects.filter(content="Is the clinic open on Sunday?").count() == 1


def test_sending_too_fast_says_slow_down_and_keeps_the_text_for_later(
    page_for, live_server, appointment, parent, settings
):
    # Two a day: windows are fixed, and a minute's could turn between the second send and the
    # third, which would then be the new window's first.
    settings.VETCHAT_RATE_LIMITS = {**settings.VETCHAT_RATE_LIMITS, "message_send": ["2/d"]}
    page = page_for(parent)
    page.goto(chat_url(live_server, appointment))
    for text in ("One", "Two"):
        send_text(page, text)
        sent = page.locator(".message.mine:not(.pending) .receipt")
        expect(sent).to_have_count(["One", "Two"].index(text) + 1)

    send_text(page, "And a third, too fast")

    expect(page.get_by_role("alert")).to_contain_text("Slow down, then send again.")
    expect(page.get_by_role("alert")).to_contain_text(re.compile(r"Try again in \d+ s\."))
    failed = page.locator(".message.failed")
    expect(failed.locator(".content")).to_have_text("And a third, too fast")
    expect(failed.get_by_role("button", name="Retry")).to_be_visible()
    assert not Message.objects.filter(content="And a third, too fast").exists()


def test_a_refused_send_puts_the_text_back(page_for, live_server, parent, vet):
    from tests.factories import AppointmentFactory

    appointment = AppointmentFactory(pet__owner=parent, veterinarian=vet)
    page = page_for(parent)
    page.goto(chat_url(live_server, appointment))
    appointment.status = "cancelled"  # cancelled by the clinic while the page was open
    appointment.save()

    send_text(page, "Can we move it to Friday?")

    expect(page.get_by_role("alert")).to_contain_text("cancelled")
    expect(page.get_by_label("Your message")).to_have_value("Can we move it to Friday?")
    expect(page.locator(".message")).to_have_count(0)


def test_a_refused_prescription_shows_why_in_its_fieldset_and_keeps_what_was_typed(
    page_for, live_server, appointment, vet, artifacts
):
    page = page_for(vet)
    page.goto(chat_url(live_server, appointment))

    # given a prescription without its medication
    page.get_by_label("Prescription", exact=True).check()
    page.get_by_label("Dose").fill("0.1 mg/kg")
    page.get_by_label("Your message").fill("Start tonight, with food.")
    # when it is sent
    page.get_by_role("button", name="Send").click()

    # then the server's reason is shown in the prescription's fieldset, and nothing is lost
    fieldset = page.locator('.payload-fields[data-kind="prescription"]')
    error = fieldset.locator(".field-error")
    expect(error).to_contain_text("medication: This field is required.")
    expect(fieldset).to_have_attribute("aria-describedby", "payload-error-prescription")
    expect(page.locator(".composer-error")).to_be_hidden()
    expect(page.get_by_label("Prescription", exact=True)).to_be_checked()
    expect(page.get_by_label("Dose")).to_have_value("0.1 mg/kg")
    expect(page.get_by_label("Your message")).to_have_value("Start tonight, with food.")
    expect(page.locator(".message")).to_have_count(0)
    assert not Message.objects.exists()
    page.locator(".composer").screenshot(path=artifacts / "chat-refused-prescription.png")

    # with the medication it goes, and the error goes with it
    page.get_by_label("Medication").fill("Meloxicam")
    page.get_by_role("button", name="Send").click()
    card = page.locator(".message.mine.message-prescription")
    expect(card.locator(".rx")).to_contain_text("Meloxicam")
    expect(card.locator(".receipt")).to_have_text(re.compile("Sent|Read"))
    expect(error).to_have_count(0)
    expect(page.get_by_label("Dose")).to_have_value("")
    assert page.js_errors == []


def test_an_assessment_shows_its_findings_and_diagnosis_on_the_other_side(
    page_for, live_server, appointment, parent, vet
):
    parent_page, vet_page = page_for(parent), page_for(vet)
    parent_page.goto(chat_url(live_server, appointment))
    vet_page.goto(chat_url(live_server, appointment))

    vet_page.get_by_label("Assessment", exact=True).check()
    vet_page.get_by_label("Findings").fill("Mild lameness of the left fore; no swelling.")
    vet_page.get_by_label("Diagnosis").fill("Carpal sprain")
    vet_page.get_by_role("button", name="Send").click()

    card = parent_page.locator(".message.theirs.message-assessment")
    expect(card).to_be_visible(timeout=SEEN_WITHIN_MS)
    expect(card.locator(".card-label")).to_have_text("Assessment")
    expect(card.locator(".content")).to_have_text("Carpal sprain")  # named by its diagnosis
    expect(card.locator(".rx dt")).to_have_text(["Findings", "Diagnosis"])
    expect(card.locator(".rx dd")).to_have_text(
        ["Mild lameness of the left fore; no swelling.", "Carpal sprain"]
    )
    assert parent_page.js_errors == [] and vet_page.js_errors == []


def test_a_message_arriving_live_looks_as_the_server_renders_it(
    page_for, live_server, appointment, parent, vet, artifacts, tmp_path, client_for
):
    """The page draws no message itself: each arrives as the server's HTML, so a reload shows
    the very same markup, node for node."""
    vet.image_url = f"{live_server.url}/static/favicon.svg"
    vet.save()
    page = page_for(parent)
    page.goto(chat_url(live_server, appointment))

    # one message drawn from the answer to its send, read by the vet later; the others brought
    # by polling
    send_text(page, "Biscuit is limping & won't eat <much>")
    mine = page.locator(".message.mine:not(.pending) .receipt")
    expect(mine).to_have_text("Sent")
    client_for(vet).get(API.strip("*"), {"appointmentId": str(appointment.pk)})  # the vet reads
    expect(mine).to_have_text(READ, timeout=SEEN_WITHIN_MS)
    question = send_message(vet, appointment, "Can you send a photo?")
    send_message(
        vet,
        appointment,
        "",
        message_type="assessment",
        payload={"findings": "Swollen left carpus", "diagnosis": "Sprain"},
    )
    prescription = send_message(
        vet,
        appointment,
        "Give it with food.",
        message_type="prescription",
        payload={"medication": "Meloxicam", "dose": "0.1 mg/kg", "duration": "5 days"},
    )
    sent = {}
    for kind, name, content in [
        ("image", "x-ray.png", files.image_bytes("PNG", size=(600, 400))),
        ("video", "walking.mp4", files.video(tmp_path, location=False)),
        ("file", "report.pdf", files.pdf_document()),
    ]:
        attachment = upload_attachment(vet, appointment, content, name)
        sent[kind] = send_message(vet, appointment, "", message_type=kind, attachments=[attachment])
    messages = page.locator(".messages .message")
    expect(messages).to_have_count(7, timeout=SEEN_WITHIN_MS)
    assert_drawn_by_the_server(page, drawn(page), artifacts, "chat-messages-arrived")

    # and, once shown, messages change: edited, removed, acknowledged, amended
    def chat_of(user):
        return access_chat(user=user, appointment_id=appointment.pk)

    message_edit(chat=chat_of(vet), user=vet, message_id=question.id, content="A photo of the paw?")
    message_retract(chat=chat_of(vet), user=vet, message_id=sent["video"].id)
    prescription_acknowledge(chat=chat_of(parent), user=parent, message_id=prescription.id)
    send_message(
        vet,
        appointment,
        "",
        message_type="prescription",
        payload={"medication": "Meloxicam", "dose": "0.05 mg/kg"},
        amends=prescription.id,
    )
    expect(messages).to_have_count(8, timeout=SEEN_WITHIN_MS)
    expect(page.locator(".message .edited")).to_have_count(1)
    expect(page.locator(".message .removed")).to_have_text("Message removed")
    expect(page.locator(".message .acknowledgement")).to_contain_text(
        "Read and understood by Alex Morgan"
    )
    expect(page.locator(".message .amends")).to_have_text(f"· amends #{prescription.seq}")
    amendment = prescription.seq + 4
    expect(page.locator(".message .amended-by")).to_have_text(f"· amended by #{amendment}")
    assert_drawn_by_the_server(page, drawn(page), artifacts, "chat-messages-changed")
    assert page.js_errors == []


def test_day_separators_arriving_live_follow_the_clinics_midnight(
    page_for, live_server, appointment, parent, vet, artifacts
):
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from django.db import transaction

    zone = "Pacific/Auckland"  # the clinic's, far from the server's UTC
    Clinic.objects.filter(pk=appointment.clinic_id).update(time_zone=zone)
    midnight = datetime.now(ZoneInfo(zone)).replace(hour=0, minute=0, second=0, microsecond=0)
    page = page_for(parent)
    page.goto(chat_url(live_server, appointment))

    # given messages sent either side of the clinic's last midnight, arriving live
    for text, moment in [
        ("Late last night", midnight - timedelta(minutes=10)),
        ("Just after midnight", midnight + timedelta(minutes=10)),
    ]:
        with transaction.atomic():
            row = send_message(vet, appointment, text)
            Message.objects.filter(pk=row.id).update(created_at=moment)

    # then each day has its separator, as the server draws them
    expect(page.locator(".messages .message")).to_have_count(2, timeout=SEEN_WITHIN_MS)
    expect(page.locator(".day-separator")).to_have_count(2)
    live = drawn(page)
    assert [node.startswith('<liclass="day-separator"') for node in live] == [
        True,
        False,
        True,
        False,
    ]
    assert_drawn_by_the_server(page, live, artifacts, "chat-days")
    assert page.js_errors == []


def test_connection_problems_are_shown_and_clear_by_themselves(
    page_for, live_server, appointment, parent
):
    page = page_for(parent)
    page.goto(chat_url(live_server, appointment))
    page.route(API, lambda route: route.abort("internetdisconnected"))
    notice = page.locator(".connection-notice")
    expect(notice).to_contain_text("Connection lost", timeout=SEEN_WITHIN_MS)
    page.unroute(API)
    expect(notice).to_be_hidden(timeout=12_000)


def hide_the_tab(page, hidden: bool) -> None:
    state = "hidden" if hidden else "visible"
    page.evaluate(
        f"""() => {{
            Object.defineProperty(document, "visibilityState", {{
                value: "{state}", configurable: true,
            }});
            document.dispatchEvent(new Event("visibilitychange"));
        }}"""
    )


def test_nothing_is_read_while_the_tab_is_hidden(page_for, live_server, appointment, parent, vet):
    parent_page, vet_page = page_for(parent), page_for(vet)
    parent_page.goto(chat_url(live_server, appointment))
    vet_page.goto(chat_url(live_server, appointment))

    # given the vet's tab is in the background
    hide_the_tab(vet_page, hidden=True)
    send_text(parent_page, "Is he allowed to walk on it?")

    # the message shows in the hidden tab, but the parent is not told it was read
    expect(vet_page.locator(".message.theirs .content")).to_have_text(
        "Is he allowed to walk on it?", timeout=SEEN_WITHIN_MS
    )
    vet_page.wait_for_timeout(SEEN_WITHIN_MS)  # one more poll of the parent's
    expect(parent_page.locator(".message.mine .receipt")).to_have_text("Sent")

    # when the vet comes back to the tab, it is read
    hide_the_tab(vet_page, hidden=False)
    expect(parent_page.locator(".message.mine .receipt")).to_have_text(READ, timeout=SEEN_WITHIN_MS)
    expect(vet_page.locator(".message")).to_have_count(1)
    assert parent_page.js_errors == [] and vet_page.js_errors == []


def test_a_message_changed_while_the_tab_was_hidden_shows_as_it_now_stands(
    page_for, live_server, appointment, parent, vet
):
    vet_page = page_for(vet)
    vet_page.goto(chat_url(live_server, appointment))
    hide_the_tab(vet_page, hidden=True)
    typo = send_message(parent, appointment, "He ate a sock, maybe two")
    content = vet_page.locator(".message.theirs .content")
    expect(content).to_have_text("He ate a sock, maybe two", timeout=SEEN_WITHIN_MS)

    # corrected just after the hidden tab's poll, then the vet looks
    chat = access_chat(user=parent, appointment_id=appointment.pk)
    message_edit(chat=chat, user=parent, message_id=typo.id, content="He ate two socks")
    hide_the_tab(vet_page, hidden=False)

    expect(content).to_have_text("He ate two socks")
    expect(vet_page.locator(".message.theirs .edited")).to_be_visible()
    assert vet_page.js_errors == []


def test_a_message_arriving_while_scrolled_up_is_offered_not_forced(
    page_for, live_server, appointment, parent, vet
):
    for number in range(1, 41):
        send_message(vet, appointment, f"note {number}")
    page = page_for(parent)
    page.goto(chat_url(live_server, appointment))
    log = page.locator(".chat-log")
    log.evaluate("log => { log.scrollTop = 0; }")

    send_message(vet, appointment, "Results are in")

    button = page.get_by_role("button", name="New messages ↓")
    expect(button).to_be_visible(timeout=SEEN_WITHIN_MS)
    assert log.evaluate("log => log.scrollTop") == 0
    expect(page.locator("#chat-announcer")).to_have_text(
        "New message from Dr. Jane Foster: Results are in"
    )
    button.click()
    expect(button).to_be_hidden()
    expect(page.locator(".message .content").last).to_be_in_viewport()


def test_a_session_that_ended_sends_the_reader_to_sign_in(
    page_for, live_server, appointment, parent
):
    from importlib import import_module

    from django.conf import settings
    from django.contrib.sessions.models import Session

    page = page_for(parent)
    page.goto(chat_url(live_server, appointment))
    # signed out elsewhere: the session store forgets it, cached copies included
    store = import_module(settings.SESSION_ENGINE).SessionStore
    for key in Session.objects.values_list("session_key", flat=True):
        store(session_key=key).delete()

    page.wait_for_url(re.compile(r"/accounts/login/"), timeout=SEEN_WITHIN_MS)


def test_load_earlier_messages_brings_back_history_in_order(
    page_for, live_server, appointment, parent, vet
):
    for number in range(1, 121):
        send_message(vet if number % 2 else parent, appointment, f"note {number}")
    page = page_for(parent)
    page.goto(chat_url(live_server, appointment))
    contents = page.locator(".message .content")
    expect(contents).to_have_count(50)

    # the reader, scrolled up to the button, stays on what they were reading while history is
    # put above it
    page.locator(".chat-log").evaluate("log => { log.scrollTop = 0; }")
    first_shown = page.locator(".message .content", has_text=re.compile("^note 71$"))
    top_before = first_shown.evaluate("node => node.getBoundingClientRect().top")
    button = page.get_by_role("button", name="Load earlier messages")
    button.click()
    expect(contents).to_have_count(100)
    top_after = first_shown.evaluate("node => node.getBoundingClientRect().top")
    assert abs(top_after - top_before) < 2
    button.click()
    expect(contents).to_have_count(120)
    expect(button).to_be_hidden()
    assert contents.all_text_contents() == [f"note {n}" for n in range(1, 121)]


def test_a_draft_survives_a_reload(page_for, live_server, appointment, parent):
    page = page_for(parent)
    page.goto(chat_url(live_server, appointment))
    page.get_by_label("Your message").fill("Half-written question about")
    page.reload()
    expect(page.get_by_label("Your message")).to_have_value("Half-written question about")


def test_unread_badges_refresh_without_reload(page_for, live_server, appointment, parent, vet):
    page = page_for(parent)
    page.goto(f"{live_server.url}/appointments/")
    badge = page.locator(f'[data-unread-for="{appointment.pk}"]')
    expect(badge).to_be_hidden()

    send_message(vet, appointment, "Results are in")
    send_message(vet, appointment, "All normal")
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")

    expect(badge).to_be_visible()
    expect(badge.locator(".unread-count")).to_have_text("2")


@pytest.mark.parametrize(("width", "height"), [(360, 740), (1280, 800)])
def test_screenshot_of_the_chat(
    page_for, live_server, appointment, parent, vet, artifacts, width, height
):
    send_message(parent, appointment, "Hi! Biscuit is limping on his front leg.")
    send_message(
        vet,
        appointment,
        "Mild sprain of the left carpus; no fracture on palpation.",
        message_type="assessment",
    )
    send_message(
        vet,
        appointment,
        "Meloxicam, 0.1 mg/kg, once a day, 5 days",
        message_type="prescription",
        payload={
            "medication": "Meloxicam",
            "dose": "0.1 mg/kg",
            "frequency": "once a day",
            "duration": "5 days",
            "notes": "Give with food.",
        },
    )
    send_message(parent, appointment, "Thank" + "you" * 40 + "!")
    page = page_for(parent, width, height)
    page.goto(chat_url(live_server, appointment))
    expect(page.locator(".message")).to_have_count(4)
    assert not re.search(r"\{[#%]|[#%]\}", page.locator("body").inner_text())  # no template leaks
    no_sideways_scroll = page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )
    page.screenshot(path=artifacts / f"chat-{width}x{height}.png", full_page=True)
    assert no_sideways_scroll
