"""What the chat header says about its live socket, in a real browser: "Live" while it is up,
"Reconnecting…" once it dropped, and how often polling updates the page where sockets keep
failing, without ever claiming to reconnect a socket that never came up.

The page's clock is Playwright's, so the socket's retry delays pass at once; the attempts
themselves still fail (or are answered) over the real network."""

import json

import pytest
from playwright.sync_api import Locator, Page, WebSocketRoute, expect

from tests.factories import send_message

pytestmark = pytest.mark.django_db(transaction=True)

POLL_SECONDS = 5
POLLING = f"Updates every {POLL_SECONDS} seconds"
LONGEST_RETRY_MS = 10_000  # live.js MAX_RETRY_MS: running the clock this far starts the next try
SIDEWAYS = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"

# Every text the header's status is given, in order, whether or not it changed: each one is
# announced (the element is a polite live region).
RECORD_STATUSES = """
window.liveStatuses = [];
new MutationObserver((mutations) => {
  for (const mutation of mutations) {
    if (!mutation.target.classList?.contains("live-status")) continue;
    for (const node of mutation.addedNodes) window.liveStatuses.push(node.textContent);
  }
}).observe(document, { subtree: true, childList: true });
"""


@pytest.fixture(autouse=True)
def poll_every_five_seconds(settings) -> None:
    settings.CHAT_POLL_SECONDS = POLL_SECONDS


def open_chat(page: Page, live_server, appointment) -> None:
    page.add_init_script(RECORD_STATUSES)
    page.clock.install()
    page.goto(f"{live_server.url}/appointments/{appointment.pk}/")


def statuses(page: Page) -> list[str]:
    return page.evaluate("window.liveStatuses")


def retry_until(page: Page, status: Locator, text: str, tries: int = 8) -> None:
    """Let the socket's retries run, on the page's clock, until the status says `text`. A try
    fails over the real network after the clock has run, so each round waits a moment."""
    for _ in range(tries):
        page.clock.run_for(LONGEST_RETRY_MS)
        try:
            expect(status).to_have_text(text, timeout=500)
        except AssertionError:
            continue
        return
    pytest.fail(f"after {tries} rounds of retries the status says {status.text_content()!r}")


def test_where_sockets_never_connect_the_page_says_how_often_it_updates(
    page_for, live_server, appointment, parent, vet
):
    # given a chat served without a socket route (the test server speaks WSGI only), at 320 px
    page = page_for(parent, width=320)
    sockets = []
    page.on("websocket", lambda socket: sockets.append(socket))
    open_chat(page, live_server, appointment)
    status = page.locator(".live-status")

    # when its socket has failed a few times, then the header says how often updates come
    retry_until(page, status, POLLING)
    expect(status).to_be_visible()
    assert statuses(page) == [POLLING]  # never "Reconnecting…", and said once
    assert page.evaluate(SIDEWAYS) <= 0
    box, heading = status.bounding_box(), page.locator("#chat-heading").bounding_box()
    assert heading["x"] <= box["x"] and box["x"] + box["width"] <= heading["x"] + heading["width"]

    # and what the other side sends still arrives, by polling
    send_message(vet, appointment, "Bring Rex in at four.")
    page.clock.run_for(POLL_SECONDS * 1000)
    expect(page.locator(".message.theirs .content")).to_have_text("Bring Rex in at four.")

    # and the socket keeps trying, without a word more
    tried = len(sockets)
    with page.expect_websocket():
        page.clock.run_for(LONGEST_RETRY_MS)
    assert len(sockets) > tried
    assert statuses(page) == [POLLING]
    assert page.js_errors == []


def test_a_socket_that_dropped_says_reconnecting_then_polling_then_live_again(
    page_for, live_server, appointment, parent
):
    # given a page whose socket the server answers, for now
    page = page_for(parent)
    answering = True
    attempts: list[WebSocketRoute] = []

    def server(socket: WebSocketRoute) -> None:
        attempts.append(socket)
        if answering:
            socket.send(json.dumps({"type": "hello", "lastSeq": 0}))
        else:
            socket.close(code=1011)

    page.route_web_socket("**/ws/appointment-chat/**", server)
    open_chat(page, live_server, appointment)
    status = page.locator(".live-status")
    expect(status).to_have_text("Live")

    # when the socket drops and its server stops answering, then the page says it reconnects
    answering = False
    attempts[-1].close(code=1011)
    expect(status).to_have_text("Reconnecting…")
    # and says so through the first failed tries, and how often it updates after a few more
    retry_until(page, status, POLLING)
    assert len(attempts) == 1 + 3  # the one that dropped, then three that failed
    assert statuses(page) == ["Live", "Reconnecting…", POLLING]

    # when the server answers again, then the page is live again
    answering = True
    retry_until(page, status, "Live")
    assert statuses(page) == ["Live", "Reconnecting…", POLLING, "Live"]
    assert page.js_errors == []
