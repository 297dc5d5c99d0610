"""Video visits in the browser: how long from the vet pressing "Video call" to the first frame
of the vet's camera decoded on the parent's page, and the signalling round trips, measured in
the browsers.

Two Chromium pages (a generated camera and microphone) on one app server (gunicorn with the
uvicorn workers, as production serves sockets) and the real coturn on loopback. The parent's
page accepts the moment it rings (a script clicks Accept), so the figures hold no human: they are
the system's part of the wait. Times are read in the pages (`performance.timeOrigin +
performance.now()`, one clock on one machine):

- call to first frame: the click on "Video call" → the parent's `getStats()` first shows an
  inbound video frame decoded (polled every 5 ms);
- accept to first frame: the click on Accept → the same;
- start round trip: the vet's `call.start` frame leaves → the `call` frame (ringing) arrives:
  the server's access check, its row written and the answer;
- offer round trip: the vet's offer leaves → the parent's answer arrives at the vet's page:
  two relays through the server and the parent's browser making its answer.

Run by scripts/bench.sh after `bench.run`; `--smoke` measures one call, BENCH_CALLS sets how
many (default 10). Needs scripts/coturn.sh (Debian's coturn).
"""

import argparse
import os
import secrets
import statistics
import subprocess
import tempfile
from pathlib import Path

from bench.live import free_port, start_asgi
from bench.run import ROOT, session_for, stop

CHROMIUM = "/usr/bin/chromium"
COTURN = ROOT / "scripts" / "coturn.sh"

# Installed before the page's own scripts: every peer connection is kept for its statistics,
# and every socket frame is timed as it leaves and arrives.
INSTRUMENT = """
(() => {
  const Native = window.RTCPeerConnection;
  window.__peers = [];
  window.RTCPeerConnection = class extends Native {
    constructor(...args) { super(...args); window.__peers.push(this); }
  };
  window.__frames = [];
  const now = () => performance.timeOrigin + performance.now();
  const kind = (text) => {
    try {
      const frame = JSON.parse(text);
      const description = frame.signal && frame.signal.description;
      return description ? `${frame.type}:${description.type}` : frame.type;
    } catch (error) { return "?"; }
  };
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) {
    window.__frames.push({ out: kind(data), at: now() });
    return send.call(this, data);
  };
  const Socket = window.WebSocket;
  window.WebSocket = class extends Socket {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", (event) => {
        window.__frames.push({ in: kind(event.data), at: now() });
      });
    }
  };
  document.addEventListener("click", (event) => {
    const button = event.target.closest("button");
    if (button) window.__clicks = { ...(window.__clicks || {}), [button.className]: now() };
  }, true);
})();
"""

# The parent's page: Accept as soon as the call rings, then the first decoded frame's time.
ANSWER_AT_ONCE = """
() => { window.__firstFrame = new Promise((resolve) => {
  const dialog = document.querySelector(".call-incoming");
  const accept = () => {
    document.querySelector(".call-accept").click();
    const poll = async () => {
      // Only the open one: an earlier call's closed connection has no statistics to give.
      for (const pc of window.__peers.filter((p) => p.signalingState !== "closed")) {
        const stats = await pc.getStats().catch(() => new Map());
        for (const report of stats.values()) {
          const video = report.type === "inbound-rtp" && report.kind === "video";
          if (video && report.framesDecoded > 0) {
            resolve(performance.timeOrigin + performance.now());
            return;
          }
        }
      }
      setTimeout(poll, 5);
    };
    poll();
  };
  const rung = new MutationObserver(() => {
    if (!dialog.open) return;
    rung.disconnect();
    accept();
  });
  rung.observe(dialog, { attributes: true, attributeFilter: ["open"] });
}); }
"""


def first(frames: list[dict], direction: str, kind: str, after: float = 0) -> float:
    return next(f["at"] for f in frames if f.get(direction) == kind and f["at"] >= after)


def one_call(vet_page, parent_page) -> dict[str, float] | None:
    vet_page.evaluate("() => { window.__frames = []; }")
    parent_page.evaluate(ANSWER_AT_ONCE)  # waiting in the page from now on
    vet_page.click(".call-start")
    # A call that never shows a frame is counted, not waited for.
    frame_at = parent_page.evaluate(
        "() => Promise.race([window.__firstFrame, new Promise((r) => setTimeout(r, 20000))])"
    )
    if frame_at is None:
        print("a call showed no frame within 20 s", flush=True)
        vet_page.click(".call-hangup")
        vet_page.wait_for_selector(".call-panel[hidden]", state="attached")
        return None
    clicks = vet_page.evaluate("() => window.__clicks")
    accepted = parent_page.evaluate("() => window.__clicks")["call-accept"]
    frames = vet_page.evaluate("() => window.__frames")
    start_out = first(frames, "out", "call.start")
    offer_out = first(frames, "out", "call.signal:offer")
    figures = {
        "call to first frame": frame_at - clicks["call-start"],
        "accept to first frame": frame_at - accepted,
        "start round trip": first(frames, "in", "call", start_out) - start_out,
        "offer round trip": first(frames, "in", "call.signal:answer", offer_out) - offer_out,
    }
    vet_page.click(".call-hangup")
    vet_page.wait_for_selector(".call-panel[hidden]", state="attached")
    parent_page.wait_for_selector(".call-panel[hidden]", state="attached")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="one call")
    smoke = parser.parse_args().smoke or os.environ.get("BENCH_SMOKE") == "1"
    calls = 1 if smoke else int(os.environ.get("BENCH_CALLS", "10"))

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vetchat.settings")
    django.setup()
    from playwright.sync_api import sync_playwright

    from tests.factories import AppointmentFactory, PetParentFactory, VetFactory

    # Addresses of their own: the database may hold the dataset's, or an earlier run's.
    run = secrets.token_hex(4)
    vet = VetFactory(name="Dr. Bench Foster", email=f"bench-call-vet-{run}@example.com")
    parent = PetParentFactory(email=f"bench-call-parent-{run}@example.com")
    appointment = AppointmentFactory(pet__owner=parent, veterinarian=vet)
    sessions = {
        who: session_for(user) for who, user in (("vet", vet), ("parent", appointment.pet_parent))
    }

    folder = Path(tempfile.mkdtemp(prefix="vetchat-bench-coturn-"))
    secret = secrets.token_urlsafe(24)
    turn_env = {**os.environ, "VETCHAT_TURN_SECRET": secret}
    turn_url = (
        subprocess.run(
            [str(COTURN), "start", str(folder)],
            env=turn_env,
            check=True,
            capture_output=True,
            text=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    port = free_port()
    server = start_asgi(port, VETCHAT_TURN_URLS=turn_url, VETCHAT_TURN_SECRET=secret)
    base = f"http://127.0.0.1:{port}"
    results: list[dict[str, float]] = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM,
                args=[
                    "--no-sandbox",
                    "--use-fake-device-for-media-stream",
                    "--use-fake-ui-for-media-stream",
                ],
            )
            pages = {}
            for who, session in sessions.items():
                context = browser.new_context()
                context.grant_permissions(["camera", "microphone"], origin=base)
                context.add_cookies([{"name": "sessionid", "value": session, "url": base}])
                context.add_init_script(INSTRUMENT)
                page = context.new_page()
                page.goto(f"{base}/appointments/{appointment.pk}/")
                page.wait_for_selector(".live-status:text('Live')", timeout=30_000)
                pages[who] = page
            one_call(pages["vet"], pages["parent"])  # warm-up: codecs, workers, coturn
            for _ in range(calls):
                figures = one_call(pages["vet"], pages["parent"])
                if figures is not None:
                    results.append(figures)
            browser.close()
    finally:
        stop(server)
        subprocess.run([str(COTURN), "stop", str(folder)], env=turn_env, check=False)

    print(f"\nVideo call, {len(results)} of {calls} call(s) after one warm-up, Chromium (ms):")
    print(f"{'':24} {'median':>8} {'min':>8} {'max':>8}")
    for name in results[0]:
        values = [r[name] for r in results]
        print(f"{name:24} {statistics.median(values):8.0f} {min(values):8.0f} {max(values):8.0f}")


if __name__ == "__main__":
    main()
