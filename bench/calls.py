"""Video calls' signalling: how long a signal takes from the vet's socket to the parent's and
back, through the production layout (gunicorn with 2 uvicorn workers, one Redis, PostgreSQL),
and how long a call takes to ring and to be answered.

Each signal is checked by the access module and routed by the call's row on its way (one
database round trip per hop, as served): the round trip is two of those plus two channel-layer
hops. Run by scripts/bench.sh after `bench.run` (its dataset), or alone on any migrated
database with an appointment: `python -m bench.calls [--smoke]`; BENCH_CALL_SIGNALS sets the
round trips measured.
"""

import argparse
import asyncio
import json
import os
import statistics
import time

from bench.live import WS_PORT, start_asgi
from bench.run import session_for, stop

# A trickle-ICE candidate as Chrome sends it: the common signal, and a small one.
CANDIDATE = {
    "candidate": {
        "candidate": "candidate:842163049 1 udp 1677729535 198.51.100.7 50926 typ srflx "
        "raddr 0.0.0.0 rport 0 generation 0 ufrag wX9k network-cost 999",
        "sdpMid": "0",
        "sdpMLineIndex": 0,
        "usernameFragment": "wX9k",
    }
}


async def next_frame(socket, kind: str, state: str | None = None) -> dict:
    while True:
        frame = json.loads(await asyncio.wait_for(socket.recv(), 10))
        if frame["type"] == kind and (state is None or frame["call"]["state"] == state):
            return frame
        if frame["type"] == "error":
            raise RuntimeError(frame)


async def measure(vet_session: str, parent_session: str, appointment_id: str, count: int):
    from bench.live import open_socket

    vet = await open_socket(vet_session, appointment_id)
    parent = await open_socket(parent_session, appointment_id)
    started = time.perf_counter()
    await vet.send(json.dumps({"type": "call.start"}))
    ringing = await next_frame(parent, "call", "ringing")
    rang_ms = (time.perf_counter() - started) * 1000
    call_id = ringing["call"]["id"]
    try:
        started = time.perf_counter()
        await parent.send(json.dumps({"type": "call.accept", "callId": call_id}))
        await next_frame(vet, "call", "active")
        answered_ms = (time.perf_counter() - started) * 1000
        trips = []
        for _ in range(count):
            started = time.perf_counter()
            frame = {"type": "call.signal", "callId": call_id, "signal": CANDIDATE}
            await vet.send(json.dumps(frame))
            await next_frame(parent, "call.signal")
            await parent.send(json.dumps(frame))
            await next_frame(vet, "call.signal")
            trips.append((time.perf_counter() - started) * 1000)
            # Under the sockets' signal budget (200 per 10 s), as a real call's trickle is.
            await asyncio.sleep(0.06)
    finally:
        await vet.send(json.dumps({"type": "call.hangup", "callId": call_id}))
        await next_frame(vet, "call", "ended")
        await vet.close()
        await parent.close()
    return rang_ms, answered_ms, trips


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="a few round trips")
    smoke = parser.parse_args().smoke or os.environ.get("BENCH_SMOKE") == "1"
    count = int(os.environ.get("BENCH_CALL_SIGNALS", "20" if smoke else "200"))

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vetchat.settings")
    django.setup()
    from appointments.models import Appointment

    appointment = (
        Appointment.objects.select_related("pet_parent", "veterinarian")
        .filter(status=Appointment.Status.SCHEDULED)
        .order_by("starts_at")
        .first()
    )
    if appointment is None:
        raise SystemExit("No scheduled appointment: run bench.run first (it makes the dataset).")
    sessions = (session_for(appointment.veterinarian), session_for(appointment.pet_parent))
    server = start_asgi(WS_PORT)
    try:
        rang, answered, trips = asyncio.run(measure(*sessions, str(appointment.pk), count))
    finally:
        stop(server)
    trips.sort()
    p99 = trips[min(len(trips) - 1, int(len(trips) * 0.99))]
    print()
    print(
        "vetchat calls benchmark: the chat socket on gunicorn with 2 uvicorn workers, one Redis; "
        f"{count} signal round trips (vet -> parent -> vet)"
    )
    print()
    print(f"| {'measure':<36} | {'ms':>8} |")
    print(f"|{'-' * 38}|{'-' * 10}|")
    print(f"| {'call.start -> parent rings':<36} | {rang:>8.2f} |")
    print(f"| {'call.accept -> vet hears active':<36} | {answered:>8.2f} |")
    print(f"| {'signal round trip p50':<36} | {statistics.median(trips):>8.2f} |")
    print(f"| {'signal round trip p99':<36} | {p99:>8.2f} |")


if __name__ == "__main__":
    main()
