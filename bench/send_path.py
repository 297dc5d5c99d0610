"""What each part of a send costs, one part off and on in turns, measured two ways:
`message_send` called in-process, and the whole request as a client sends it
(`POST /api/appointment-chat/messages` through Django's test Client: middleware, session,
access, the API view and its JSON, without the network).

    python -m bench.send_path [--blocks 20] [--per-block 50] [--smoke]

On a database of its own (DATABASE_URL, migrated) and a Redis (REDIS_URL) for the live push,
with DJANGO_DEBUG=0, DJANGO_ALLOWED_HOSTS naming testserver, DJANGO_RATE_LIMITS=off.
Each part is measured apart: blocks of sends with it off, then on, taking turns, so a slow
moment of the machine falls on both alike. The parts:

- the keyed chain (`chat.chain.chain_append`: the HMAC and its link row), skipped when off;
- the live push (`chat.push.push_chat_event`, after commit, to the channel layer);
- the unread notification (`notifications.subscribers.on_chat_event`, in the transaction).
"""

import argparse
import json
import os
import statistics
import time
import uuid
from collections.abc import Callable
from types import SimpleNamespace
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported once Django is set up
    from appointments.models import Appointment


def _setup() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vetchat.settings")
    django.setup()


def _switches() -> dict[str, tuple[Callable[[], None], Callable[[], None]]]:
    """Each part's (turn off, turn on)."""
    import chat.services
    from chat.events import subscribe, unsubscribe
    from chat.push import push_chat_event
    from notifications.subscribers import on_chat_event

    real_append = chat.services.chain_append

    def unchained(*, locked, **change) -> SimpleNamespace:
        return SimpleNamespace(hash=locked.last_hash)  # no link computed, none stored

    def set_append(function: Callable[..., object]) -> Callable[[], None]:
        return lambda: setattr(chat.services, "chain_append", function)

    return {
        "hash chain": (set_append(unchained), set_append(real_append)),
        "live push": (
            lambda: unsubscribe(push_chat_event),
            lambda: subscribe(push_chat_event),
        ),
        "unread notification": (
            lambda: unsubscribe(on_chat_event),
            lambda: subscribe(on_chat_event, in_transaction=True),
        ),
    }


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


Send = Callable[[str], None]


def _in_process() -> Send:
    """`message_send` itself, as the vet of a fresh appointment."""
    from chat.services import access_chat, message_send

    appointment = _appointment()
    vet = appointment.veterinarian
    chat = access_chat(user=vet, appointment_id=appointment.pk)
    return lambda content: message_send(chat=chat, sender=vet, content=content)


def _over_http() -> Send:
    """The API's POST, as the signed-in vet of a fresh appointment."""
    from http import HTTPStatus

    from tests.signin import signed_in_client

    appointment = _appointment()
    client = signed_in_client(appointment.veterinarian)
    appointment_id = str(appointment.pk)

    def send(content: str) -> None:
        response = client.post(
            "/api/appointment-chat/messages",
            json.dumps({"appointmentId": appointment_id, "content": content}),
            content_type="application/json",
            secure=True,
        )
        if response.status_code != HTTPStatus.CREATED:
            raise RuntimeError(f"send answered {response.status_code}: {response.content[:300]}")

    return send


def _appointment() -> "Appointment":
    from tests.factories import AppointmentFactory

    return AppointmentFactory(
        pet__owner__email=f"p{uuid.uuid4().hex}@x.io",
        veterinarian__email=f"v{uuid.uuid4().hex}@x.io",
    )


def measure(
    off: Callable[[], None], on: Callable[[], None], blocks: int, per_block: int, send: Send
) -> dict[str, list[float]]:
    timings: dict[str, list[float]] = {"off": [], "on": []}
    for block in range(blocks):
        for mode, switch in (("off", off), ("on", on)):
            switch()
            for n in range(per_block):
                started = time.perf_counter()
                send(f"Block {block}, message {n}")
                timings[mode].append((time.perf_counter() - started) * 1000)
    on()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--blocks", type=int, default=20)
    parser.add_argument("--per-block", type=int, default=50)
    parser.add_argument("--smoke", action="store_true", help="a few sends, to see it runs")
    args = parser.parse_args()
    if args.smoke:
        args.blocks, args.per_block = 2, 5
    _setup()
    ways = (
        ("message_send in-process", _in_process),
        ("POST /api/appointment-chat/messages through Django's test Client", _over_http),
    )
    for title, way in ways:
        print(f"{title}, {args.blocks} blocks of {args.per_block} sends each way")
        print("| part | p50 off / on ms | p99 off / on ms | p99 on ÷ off |")
        print("|---|---|---|---:|")
        suffix = "" if way is _in_process else ", over HTTP"
        for name, (off, on) in _switches().items():
            timings = measure(off, on, args.blocks, args.per_block, way())
            p50 = {mode: statistics.median(values) for mode, values in timings.items()}
            p99 = {mode: percentile(values, 0.99) for mode, values in timings.items()}
            print(
                f"| {name}{suffix} | {p50['off']:.2f} / {p50['on']:.2f} | {p99['off']:.2f} / "
                f"{p99['on']:.2f} | {p99['on'] / p99['off']:.2f} |"
            )
        print()


if __name__ == "__main__":
    main()
