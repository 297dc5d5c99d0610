"""The live chat in a real browser against real app servers (uvicorn processes on one Redis),
with polling switched off, so whatever appears without a reload came by push."""

import re

import pytest
from django.conf import settings as django_settings
from playwright.sync_api import Page, expect

from tests.e2e.a11y import axe_violations, describe
from tests.e2e.conftest import new_page
from tests.servers import AsgiServer, RedisServer, SignedIn
from tests.signin import signed_in_client

READ = re.compile(r"^Read( by .+)?$")  # a receipt names its reader when known

pytestmark = pytest.mark.django_db(transaction=True)

# Polling once an hour: in these tests only pushes (and the fetch after each hello) deliver.
NO_POLLING = {"DJANGO_CHAT_POLL_SECONDS": "3600"}
PUSHED_WITHIN_MS = 4_000  # at once, with a margin for a machine running the suite beside


@pytest.fixture
def servers():
    started: list[AsgiServer] = []

    def start(**options) -> AsgiServer:
        server = AsgiServer(env=NO_POLLING, **options).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def session_key(user) -> str:
    return signed_in_client(user).cookies[django_settings.SESSION_COOKIE_NAME].value


def fetched_messages(page: Page, request) -> None:
    if request.method == "GET" and "/api/appointment-chat/messages?" in request.url:
        page.fetched.append(request.url)


@pytest.fixture
def open_chat(new_context):
    def make(server: AsgiServer, user, appointment) -> Page:
        page = new_page(new_context(user, server.url))
        page.fetched = []  # the page's catch-up fetches of messages
        page.on("request", lambda request: fetched_messages(page, request))
        page.goto(f"{server.url}/appointments/{appointment.pk}/")
        expect(page.locator(".live-status")).to_have_text("Live")
        return page

    return make


def test_messages_typing_and_read_marks_arrive_by_push(
    servers, open_chat, appointment, parent, vet
):
    # given the parent on one app server and the vet on another
    a, b = servers(), servers()
    parent_page = open_chat(a, parent, appointment)
    vet_page = open_chat(b, vet, appointment)
    # each page held everything its socket's hello named, and so fetched nothing
    for page in (parent_page, vet_page):
        page.evaluate("1")  # every request event delivered
    assert parent_page.fetched == [] and vet_page.fetched == []

    # when the parent types, then the vet sees it
    parent_page.get_by_label("Your message").press_sequentially("Biscuit ate")
    expect(vet_page.locator(".typing-notice")).to_have_text(
        f"{parent.name} is typing…", timeout=PUSHED_WITHIN_MS
    )
    violations = axe_violations(vet_page)  # the notice while it shows
    assert violations == [], describe(violations)
    # when the parent sends, then the vet has the message and the typing notice is gone
    parent_page.get_by_label("Your message").press_sequentially(" a sock")
    parent_page.get_by_label("Your message").press("Enter")
    expect(vet_page.locator(".message.theirs .content")).to_have_text(
        "Biscuit ate a sock", timeout=PUSHED_WITHIN_MS
    )
    expect(vet_page.locator(".typing-notice")).to_be_hidden()
    # and the vet's visible tab read it, which the parent sees at once
    expect(parent_page.locator(".message.mine .receipt")).to_have_text(
        READ, timeout=PUSHED_WITHIN_MS
    )
    # and the answer comes back the same way
    vet_page.get_by_label("Your message").fill("Bring him in now.")
    vet_page.get_by_label("Your message").press("Enter")
    expect(parent_page.locator(".message.theirs .content")).to_have_text(
        "Bring him in now.", timeout=PUSHED_WITHIN_MS
    )
    assert parent_page.js_errors == [] and vet_page.js_errors == []


def test_edits_and_removals_arrive_by_push(servers, open_chat, appointment, parent, vet):
    a, b = servers(), servers()
    parent_page = open_chat(a, parent, appointment)
    vet_page = open_chat(b, vet, appointment)
    parent_page.get_by_label("Your message").fill("Rex ate a grape")
    parent_page.get_by_label("Your message").press("Enter")
    theirs = vet_page.locator(".message.theirs")
    expect(theirs.locator(".content")).to_have_text("Rex ate a grape", timeout=PUSHED_WITHIN_MS)

    # when the parent corrects it, the vet's page shows the correction, marked edited
    mine = parent_page.locator(".message.mine")
    mine.get_by_role("button", name="Edit").click()
    mine.get_by_label("Correct your message").fill("Rex ate three grapes")
    mine.get_by_label("Correct your message").press("Enter")
    expect(theirs.locator(".content")).to_have_text(
        "Rex ate three grapes", timeout=PUSHED_WITHIN_MS
    )
    expect(theirs.locator(".edited")).to_be_visible()

    # and when the parent removes it, the vet's page keeps only that it was removed
    parent_page.on("dialog", lambda dialog: dialog.accept())
    mine.get_by_role("button", name="Remove").click()
    expect(theirs.locator(".removed")).to_have_text("Message removed", timeout=PUSHED_WITHIN_MS)
    expect(vet_page.get_by_text("three grapes")).to_have_count(0)
    assert parent_page.js_errors == [] and vet_page.js_errors == []


def test_after_its_server_restarts_the_page_shows_every_missed_message_once_in_order(
    servers, open_chat, appointment, parent, vet
):
    a, b = servers(), servers()
    page = open_chat(a, parent, appointment)
    vet_side = SignedIn(session_key(vet))
    vet_side.send(b, appointment.pk, "first")
    expect(page.locator(".message .content")).to_have_text(["first"], timeout=PUSHED_WITHIN_MS)

    # when the page's server is killed and 20 messages are sent meanwhile
    a.stop(kill=True)
    expect(page.locator(".live-status")).to_have_text("Reconnecting…")
    expected = ["first"] + [f"meanwhile {n}" for n in range(20)]
    for text in expected[1:]:
        status, _ = vet_side.send(b, appointment.pk, text)
        assert status == 201
    a.start()

    # then, without a reload, the page is live again and shows each message once, in order
    expect(page.locator(".live-status")).to_have_text("Live", timeout=20_000)
    expect(page.locator(".message .content")).to_have_text(expected)
    seqs = page.locator(".message").evaluate_all("nodes => nodes.map(n => Number(n.dataset.seq))")
    assert seqs == list(range(1, 22))
    assert page.js_errors == []


def test_the_appointment_list_badge_rings_at_once(servers, new_context, appointment, parent, vet):
    a, b = servers(), servers()
    page = new_context(parent, a.url).new_page()
    # the socket's hello makes the list refresh once: then it is registered
    with page.expect_response(lambda response: "/api/appointments/" in response.url):
        page.goto(f"{a.url}/appointments/")
    badge = page.locator(f'[data-unread-for="{appointment.pk}"]')
    expect(badge).to_be_hidden()
    # the list refreshes by itself only every 20 s: within 2 s it can only be the push
    SignedIn(session_key(vet)).send(b, appointment.pk, "Results are in")
    expect(badge.locator(".unread-count")).to_have_text("1", timeout=PUSHED_WITHIN_MS)


def test_without_redis_the_page_polls_says_so_and_goes_live_again(
    browser, open_chat, appointment, parent, vet, tmp_path
):
    # given a page on a server whose Redis (its own, so the suite's keeps running) then stops
    redis = RedisServer(tmp_path / "redis").start()
    server = AsgiServer(redis_url=redis.url).start()  # polling every 5 s, as in production
    try:
        page = open_chat(server, parent, appointment)
        redis.stop()
        # then the page says it is not live, and messages still arrive by polling
        expect(page.locator(".live-status")).to_have_text("Reconnecting…", timeout=10_000)
        status, _ = SignedIn(session_key(vet)).send(server, appointment.pk, "sent without Redis")
        assert status == 201
        expect(page.locator(".message.theirs .content")).to_have_text(
            "sent without Redis", timeout=12_000
        )
        # and when Redis is back, the page is live again by itself
        redis.start()
        expect(page.locator(".live-status")).to_have_text("Live", timeout=15_000)
        SignedIn(session_key(vet)).send(server, appointment.pk, "and pushed again")
        expect(page.locator(".message.theirs .content").last).to_have_text(
            "and pushed again", timeout=PUSHED_WITHIN_MS
        )
        assert page.js_errors == []
    finally:
        server.stop()
        redis.stop()
