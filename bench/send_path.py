"""What each part of a send costs: `message_send` in-process, one part off and on in turns.

    python -m bench.send_path [--blocks 20] [--per-block 50] [--smoke]

On a database of its own (DATABASE_URL, migrated) and a Redis (REDIS_URL) for the live push.
Each part is measured apart: blocks of sends with it off, then on, taking turns, so a slow
moment of the machine falls on both alike. The parts:

- the hash chain (`chat.integrity.link`), replaced by a constant when off;
- the live push (`chat.push.push_chat_event`, after commit, to the channel layer);
- the unread notification (`notifications.subscribers.on_chat_event`, in the transaction).
"""

import argparse
import os
import statistics
import time
import uuid
from collections.abc import Callable


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

    real_link = chat.services.link

    def unchained(previous: str, canonical: bytes) -> str:
        return previous

    def set_link(function: Callable[[str, bytes], str]) -> Callable[[], None]:
        return lambda: setattr(chat.services, "link", function)

    return {
        "hash chain": (set_link(unchained), set_link(real_link)),
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


def measure(off: Callable[[], None], on: Callable[[], None], blocks: int, per_block: int):
    from chat.services import access_chat, message_send
    from tests.factories import AppointmentFactory

    appointment = AppointmentFactory(
        pet__owner__email=f"p{uuid.uuid4().hex}@x.io",
        veterinarian__email=f"v{uuid.uuid4().hex}@x.io",
    )
    vet = appointment.veterinarian
    chat = access_chat(user=vet, appointment_id=appointment.pk)
    timings: dict[str, list[float]] = {"off": [], "on": []}
    for block in range(blocks):
        for mode, switch in (("off", off), ("on", on)):
            switch()
            for n in range(per_block):
                started = time.perf_counter()
                message_send(chat=chat, sender=vet, content=f"Block {block}, message {n}")
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
    print(f"message_send in-process, {args.blocks} blocks of {args.per_block} sends each way")
    print("| part | p50 off / on ms | p99 off / on ms | p99 on ÷ off |")
    print("|---|---|---|---:|")
    for name, (off, on) in _switches().items():
        timings = measure(off, on, args.blocks, args.per_block)
        p50 = {mode: statistics.median(values) for mode, values in timings.items()}
        p99 = {mode: percentile(values, 0.99) for mode, values in timings.items()}
        print(
            f"| {name} | {p50['off']:.2f} / {p50['on']:.2f} | {p99['off']:.2f} / "
            f"{p99['on']:.2f} | {p99['on'] / p99['off']:.2f} |"
        )


if __name__ == "__main__":
    main()
