"""Video visits in a real browser: Chromium with a generated camera and microphone, both pages on
a real app server (uvicorn on the suite's Redis), ICE through the real coturn the session starts.
What the pages decode is read from WebRTC's own statistics (`getStats`), and what the chat
records of each call from the chat itself, on both pages."""

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from calls.models import Call
from calls.services import call_json
from tests import servers
from tests.e2e.a11y import axe_violations, describe
from tests.e2e.conftest import new_page
from tests.servers import ROOT, AsgiServer

pytestmark = pytest.mark.django_db(transaction=True)

# Short, so that a missed call and a lost connection end within a test; the server's own clock
# decides, so these are real waits of a few seconds.
RING_SECONDS = 3
REJOIN_SECONDS = 4
CONNECTED_WITHIN_MS = 20_000  # ICE, DTLS and the first frames on a machine shared with workers
ENDED_WITHIN_MS = 15_000
# The rejoin time, then the worker's next look at its scheduled jobs, on a busy machine.
LOST_WITHIN_MS = 20_000

# Every peer connection and socket a page makes, kept where the test can reach them: the peers
# for their statistics, the sockets to drop them as a lost network does.
RECORD_PEERS = """
(() => {
  const Native = window.RTCPeerConnection;
  window.__peers = [];
  window.RTCPeerConnection = class extends Native {
    constructor(...args) {
      super(...args);
      window.__peers.push(this);
    }
  };
  // While the network is "down" a new socket is refused (a path the server has no socket at).
  const Socket = window.WebSocket;
  window.__sockets = [];
  window.WebSocket = class extends Socket {
    constructor(url, ...rest) {
      super(window.__networkDown ? String(url).replace("/ws/", "/no-ws/") : url, ...rest);
      window.__sockets.push(this);
    }
  };
})();
"""
# The socket lost as a network drop loses it, and none to be had until the network is back.
# (Playwright's offline mode is no help: it leaves an open socket open.)
NETWORK_DOWN = "() => { window.__networkDown = true; window.__sockets.forEach((s) => s.close()); }"
NETWORK_UP = "() => { window.__networkDown = false; }"
# A frame as if the page's open socket had just heard it from the server.
HEARD = """(frame) => window.__sockets.filter((s) => s.readyState === WebSocket.OPEN)
  .forEach((s) => s.dispatchEvent(new MessageEvent("message", { data: frame })))"""

# A browser whose site settings block the camera (the microphone still allowed): every request
# for video is refused as Chromium refuses it.
REFUSE_CAMERA = """
(() => {
  const media = navigator.mediaDevices;
  const ask = media.getUserMedia.bind(media);
  media.getUserMedia = (constraints) =>
    constraints && constraints.video
      ? Promise.reject(new DOMException("Permission denied", "NotAllowedError"))
      : ask(constraints);
})();
"""

# The open peer connection's inbound statistics: frames decoded and audio packets, by kind.
INBOUND = """
async () => {
  const pc = window.__peers.filter((p) => p.connectionState !== "closed").at(-1);
  if (!pc) return { video: 0, audio: 0 };
  const found = { video: 0, audio: 0 };
  for (const report of (await pc.getStats()).values()) {
    if (report.type !== "inbound-rtp") continue;
    if (report.kind === "video") found.video = Math.max(found.video, report.framesDecoded || 0);
    else found.audio = Math.max(found.audio, report.packetsReceived || 0);
  }
  return found;
}
"""

# The type of this side's candidate in the pair ICE chose ("host", "srflx", "relay").
LOCAL_CANDIDATE = """
async () => {
  const pc = window.__peers.filter((p) => p.connectionState !== "closed").at(-1);
  const stats = await pc.getStats();
  for (const report of stats.values()) {
    if (report.type !== "transport" || !report.selectedCandidatePairId) continue;
    const pair = stats.get(report.selectedCandidatePairId);
    return stats.get(pair.localCandidateId).candidateType;
  }
  return null;
}
"""


def decoded(kind: str, at_least: int = 1) -> str:
    return f"""async () => ((await ({INBOUND})())["{kind}"] >= {at_least})"""


TIMES = {
    "VETCHAT_CALL_RING_SECONDS": str(RING_SECONDS),
    "VETCHAT_CALL_REJOIN_SECONDS": str(REJOIN_SECONDS),
}


@pytest.fixture
def jobs_worker(transactional_db) -> Iterator[None]:
    """The worker of the "notifications" queue, as production runs one: it ends a call that
    nobody answered, or whose party did not come back, when its time is up."""
    log = ROOT / "artifacts" / "call-worker.log"
    log.parent.mkdir(exist_ok=True)
    process = subprocess.Popen(
        [
            *(sys.executable, "manage.py", "procrastinate", "worker"),
            *("--queues", "notifications", "--fetch-job-polling-interval", "0.2"),
        ],
        cwd=ROOT,
        env={
            **os.environ,
            "DATABASE_URL": servers.test_database_url(),
            "DJANGO_CONN_MAX_AGE": "0",
            **TIMES,
        },
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    yield
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)


@pytest.fixture(scope="module")
def call_server(django_db_setup, turn_server) -> Iterator[Callable[..., AsgiServer]]:
    """App servers for the module, started once each: one that lets ICE choose its path, one
    that forces every call through TURN. Both hand out credentials for the session's coturn."""
    started: dict[str, AsgiServer] = {}

    def server(policy: str = "all") -> AsgiServer:
        if policy not in started:
            started[policy] = AsgiServer(
                env={
                    **TIMES,
                    "VETCHAT_CALL_ICE_POLICY": policy,
                    "VETCHAT_TURN_URLS": turn_server.url,
                    "VETCHAT_TURN_SECRET": turn_server.secret,
                }
            ).start()
        return started[policy]

    yield server
    for running in started.values():
        running.stop()


@pytest.fixture
def call_page(new_context):
    """The appointment page, live, in a context of its own with camera and microphone granted
    (or the camera refused)."""

    def open_page(server: AsgiServer, user, appointment, *, camera: bool = True) -> Page:
        context: BrowserContext = new_context(user, server.url)
        context.grant_permissions(["camera", "microphone"], origin=server.url)
        context.add_init_script(RECORD_PEERS)
        if not camera:
            context.add_init_script(REFUSE_CAMERA)
        page = new_page(context)
        page.goto(f"{server.url}/appointments/{appointment.pk}/")
        expect(page.locator(".live-status")).to_have_text("Live")
        return page

    return open_page


def ring(vet_page: Page, parent_page: Page, appointment) -> None:
    vet_page.get_by_role("button", name="Video call").click()
    expect(vet_page.locator(".call-status")).to_have_text("Ringing…")
    dialog = parent_page.get_by_role("alertdialog")
    expect(dialog).to_have_accessible_name(
        f"Dr. Jane Foster is calling about {appointment.pet.name}"
    )
    expect(dialog.get_by_role("button", name="Accept", exact=True)).to_be_focused()


def connected(*pages: Page) -> None:
    for page in pages:
        expect(page.locator(".call-status")).to_have_text("Connected", timeout=CONNECTED_WITHIN_MS)


def sees_video(*pages: Page) -> None:
    for page in pages:
        page.wait_for_function(decoded("video"), timeout=CONNECTED_WITHIN_MS, polling=200)


def chat_entry(*pages: Page, text: re.Pattern, timeout: int = ENDED_WITHIN_MS) -> None:
    for page in pages:
        expect(page.locator(".message-system .content").last).to_have_text(text, timeout=timeout)


VISIT = re.compile(r"^Video visit with Dr\. Jane Foster, 1 min, \d\d:\d\d\u2013\d\d:\d\d$")


def test_vet_and_parent_see_and_hear_each_other_then_the_visit_is_recorded(
    call_server, call_page, appointment, parent, vet
):
    # given the vet and the parent on the appointment's page
    server = call_server()
    vet_page = call_page(server, vet, appointment)
    parent_page = call_page(server, parent, appointment)

    # when the vet calls and the parent accepts
    ring(vet_page, parent_page, appointment)
    parent_page.get_by_role("button", name="Accept", exact=True).click()

    # then each page decodes the other's video and hears the other's microphone
    connected(vet_page, parent_page)
    sees_video(vet_page, parent_page)
    for page in (vet_page, parent_page):
        page.wait_for_function(decoded("audio"), timeout=CONNECTED_WITHIN_MS, polling=200)
        expect(page.locator(".call-timer")).to_be_visible()
        expect(page.get_by_role("button", name="Mute")).to_have_attribute("aria-pressed", "false")

    # and the call is usable at 320 px, with nothing for axe to object to
    parent_page.set_viewport_size({"width": 320, "height": 640})
    parent_page.get_by_role("button", name="Mute").click()
    expect(parent_page.get_by_role("button", name="Mute")).to_have_attribute("aria-pressed", "true")
    parent_page.get_by_role("button", name="Camera off").click()
    expect(parent_page.get_by_role("button", name="Camera off")).to_have_attribute(
        "aria-pressed", "true"
    )
    hang_up = parent_page.get_by_role("button", name="Hang up")
    box = hang_up.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 320
    violations = axe_violations(parent_page)
    assert violations == [], describe(violations)

    # when the vet hangs up, both pages say so and the chat records the visit on both
    vet_page.get_by_role("button", name="Hang up").click()
    chat_entry(vet_page, parent_page, text=VISIT)
    for page in (vet_page, parent_page):
        expect(page.locator(".call-notice")).to_have_text("Call ended, 1 min")
        expect(page.locator(".call-panel")).to_be_hidden()
    expect(vet_page.get_by_role("button", name="Video call")).to_be_visible()

    # and when the vet calls again at once, a late frame of the first call ends nothing
    stale = json.dumps({"type": "call", "call": call_json(Call.objects.get())})
    ring(vet_page, parent_page, appointment)
    parent_page.get_by_role("button", name="Accept", exact=True).click()
    connected(vet_page, parent_page)
    for page in (vet_page, parent_page):
        page.evaluate(HEARD, stale)
        expect(page.locator(".call-panel")).to_be_visible()
        expect(page.locator(".call-status")).to_have_text("Connected")
    assert vet_page.js_errors == [] and parent_page.js_errors == []


def test_a_call_forced_through_turn_relays_both_ways(
    call_server, call_page, appointment, parent, vet
):
    # given a server whose pages may meet only through TURN (the session's coturn)
    server = call_server("relay")
    vet_page = call_page(server, vet, appointment)
    parent_page = call_page(server, parent, appointment)

    ring(vet_page, parent_page, appointment)
    parent_page.get_by_role("button", name="Accept", exact=True).click()

    # then both decode the other's video, each through a relayed candidate
    connected(vet_page, parent_page)
    sees_video(vet_page, parent_page)
    assert vet_page.evaluate(LOCAL_CANDIDATE) == "relay"
    assert parent_page.evaluate(LOCAL_CANDIDATE) == "relay"

    # and the parent may hang up too
    parent_page.get_by_role("button", name="Hang up").click()
    chat_entry(vet_page, parent_page, text=VISIT)
    assert vet_page.js_errors == [] and parent_page.js_errors == []


def test_a_declined_call_is_recorded_as_declined(call_server, call_page, appointment, parent, vet):
    server = call_server()
    vet_page = call_page(server, vet, appointment)
    parent_page = call_page(server, parent, appointment)
    ring(vet_page, parent_page, appointment)

    parent_page.get_by_role("button", name="Decline").click()

    chat_entry(
        vet_page,
        parent_page,
        text=re.compile(r"^Declined call from Dr\. Jane Foster, \d\d:\d\d$"),
    )
    expect(vet_page.locator(".call-notice")).to_have_text("Call declined")
    expect(vet_page.locator(".call-panel")).to_be_hidden()
    expect(parent_page.get_by_role("alertdialog")).to_be_hidden()
    assert vet_page.js_errors == [] and parent_page.js_errors == []


def test_escape_puts_the_ringing_aside_and_an_unanswered_call_is_missed(
    call_server, call_page, jobs_worker, appointment, parent, vet
):
    server = call_server()
    vet_page = call_page(server, vet, appointment)
    parent_page = call_page(server, parent, appointment)
    ring(vet_page, parent_page, appointment)

    # when the parent presses Escape, the call is not declined: it keeps ringing, with a way back
    parent_page.keyboard.press("Escape")
    expect(parent_page.get_by_role("alertdialog")).to_be_hidden()
    answer = parent_page.get_by_role("button", name="Answer the call")
    expect(answer).to_be_focused()
    answer.press("Enter")
    expect(parent_page.get_by_role("alertdialog")).to_be_visible()
    parent_page.keyboard.press("Escape")

    # then, nobody answering within the ring time, both pages record a missed call
    chat_entry(
        vet_page, parent_page, text=re.compile(r"^Missed call from Dr\. Jane Foster, \d\d:\d\d$")
    )
    expect(vet_page.locator(".call-notice")).to_have_text("No answer")
    expect(parent_page.locator(".call-notice")).to_have_text("Missed call from Dr. Jane Foster")
    expect(parent_page.get_by_role("button", name="Answer the call")).to_be_hidden()
    assert vet_page.js_errors == [] and parent_page.js_errors == []


def test_a_dropped_network_reconnects_and_a_reload_rejoins(
    call_server, call_page, appointment, parent, vet
):
    server = call_server()
    vet_page = call_page(server, vet, appointment)
    parent_page = call_page(server, parent, appointment)
    ring(vet_page, parent_page, appointment)
    parent_page.get_by_role("button", name="Accept", exact=True).click()
    connected(vet_page, parent_page)

    # when the parent's network drops and comes back within the rejoin time
    parent_page.evaluate(NETWORK_DOWN)
    expect(parent_page.locator(".live-status")).to_have_text("Reconnecting…")
    parent_page.evaluate(NETWORK_UP)

    # then the call carries on, frames flowing again both ways
    expect(parent_page.locator(".live-status")).to_have_text("Live", timeout=CONNECTED_WITHIN_MS)
    connected(vet_page, parent_page)
    before = parent_page.evaluate(INBOUND)["video"]
    parent_page.wait_for_function(decoded("video", before + 10), timeout=CONNECTED_WITHIN_MS)

    # when the parent reloads, the page offers to rejoin, and rejoining reconnects the call
    parent_page.reload()
    rejoin = parent_page.get_by_role("button", name="Rejoin the call")
    expect(rejoin).to_be_visible()
    rejoin.click()
    connected(vet_page, parent_page)
    sees_video(vet_page, parent_page)

    # and the visit, ended by the vet, is recorded as a visit, not as a lost connection
    vet_page.get_by_role("button", name="Hang up").click()
    chat_entry(vet_page, parent_page, text=VISIT)
    assert vet_page.js_errors == [] and parent_page.js_errors == []


def test_a_network_lost_for_good_ends_the_call_as_lost(
    call_server, call_page, jobs_worker, appointment, parent, vet
):
    server = call_server()
    vet_page = call_page(server, vet, appointment)
    parent_page = call_page(server, parent, appointment)
    ring(vet_page, parent_page, appointment)
    parent_page.get_by_role("button", name="Accept", exact=True).click()
    connected(vet_page, parent_page)

    # when the parent's network drops for longer than the rejoin time, the call ends as lost:
    # on the vet's page at once, on the parent's once it is back online
    parent_page.evaluate(NETWORK_DOWN)
    lost = re.compile(
        r"^Video visit with Dr\. Jane Foster, 1 min, \d\d:\d\d\u2013\d\d:\d\d "
        r"\(the connection was lost\)$"
    )
    chat_entry(vet_page, text=lost, timeout=LOST_WITHIN_MS)
    expect(vet_page.locator(".call-notice")).to_have_text("Call ended: the connection was lost")
    expect(vet_page.locator(".call-panel")).to_be_hidden()
    parent_page.evaluate(NETWORK_UP)
    chat_entry(parent_page, text=lost)
    expect(parent_page.locator(".call-notice")).to_have_text(
        "The call ended while you were disconnected."
    )
    expect(parent_page.locator(".call-panel")).to_be_hidden()
    assert vet_page.js_errors == [] and parent_page.js_errors == []


def test_a_refused_camera_says_how_to_allow_it_and_audio_only_works(
    call_server, call_page, appointment, parent, vet
):
    server = call_server()
    vet_page = call_page(server, vet, appointment)
    parent_page = call_page(server, parent, appointment, camera=False)
    ring(vet_page, parent_page, appointment)

    # when the parent accepts with a browser that blocks the camera
    parent_page.get_by_role("button", name="Accept", exact=True).click()

    # then the page says how to allow it, and offers audio only
    expect(parent_page.get_by_role("alert")).to_contain_text(
        "open the site settings (the icon left of the address), set Camera and Microphone to Allow"
    )
    parent_page.get_by_role("button", name="Continue with audio only").click()

    # and the call connects: the vet hears the parent, the parent still sees the vet
    connected(vet_page, parent_page)
    vet_page.wait_for_function(decoded("audio"), timeout=CONNECTED_WITHIN_MS, polling=200)
    sees_video(parent_page)
    expect(parent_page.locator(".call-self")).to_be_hidden()
    expect(parent_page.get_by_role("button", name="Camera off")).to_be_hidden()
    vet_page.get_by_role("button", name="Hang up").click()
    chat_entry(vet_page, parent_page, text=VISIT)
    assert vet_page.js_errors == [] and parent_page.js_errors == []
