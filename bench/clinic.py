"""The red-flag matcher's cost on the send path, on a database of its own (DATABASE_URL,
migrated): pet parents' sends through `message_send`, in-process, with VETCHAT_RED_FLAGS on and
off in turn, and the matcher's own time per message.

    python -m bench.clinic [--smoke]

Each run adds its own users and appointments; point it at a throwaway database.
"""

import argparse
import os
import statistics
import time
import uuid
from datetime import time as clock

# What pet parents usually write: no red flag, so the matcher reads every word and finds nothing
# (the path every send pays); a red flag's extra write is the feature, not the matcher.
ORDINARY = [
    "Hi, Rex has been scratching his left ear since Monday and shaking his head a lot. Should I"
    " bring him in or can it wait until his check-up next week?",
    "Thanks for today! She ate her dinner and seems much brighter, the cone is annoying her"
    " though. How long does she need to wear it?",
    "Quick question about the tablets: can I give them with food, and what if he spits one out?",
    "Bella's been drinking a bit more water than usual in this heat, is that normal for a"
    " twelve-year-old cat? Otherwise she's eating and playing fine.",
]
P99_RATIO_BUDGET = 1.1


def _setup() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vetchat.settings")
    django.setup()


def _open_all_week() -> None:
    from clinic.models import OpeningSpan
    from clinic.selectors import forget_clinic_snapshot
    from tests.factories import first_clinic

    clinic = first_clinic()
    OpeningSpan.objects.filter(clinic=clinic).delete()
    OpeningSpan.objects.bulk_create(
        OpeningSpan(clinic=clinic, weekday=day, opens=clock(0), closes=clock(23, 59, 59))
        for day in range(7)
    )
    forget_clinic_snapshot()


def send(sends: int) -> dict[str, tuple[float, float]]:
    from django.conf import settings

    from chat.services import access_chat, message_send
    from clinic.models import UrgentChat
    from clinic.selectors import clinic_snapshot
    from tests.factories import AppointmentFactory

    _open_all_week()
    appointment = AppointmentFactory(
        pet__owner__email=f"p{uuid.uuid4().hex}@x.io",
        veterinarian__email=f"v{uuid.uuid4().hex}@x.io",
    )
    parent = appointment.pet_parent
    chat = access_chat(user=parent, appointment_id=appointment.pk)
    timings: dict[str, list[float]] = {"off": [], "on": []}
    # On and off take turns send by send (which goes first swapping each pair), so that the
    # stalls of a shared machine fall on both alike.
    for n in range(sends):
        for mode in ("off", "on") if n % 2 == 0 else ("on", "off"):
            settings.VETCHAT_RED_FLAGS = mode == "on"
            content = ORDINARY[n % len(ORDINARY)]
            started = time.perf_counter()
            message_send(chat=chat, sender=parent, content=content)
            timings[mode].append((time.perf_counter() - started) * 1000)
    settings.VETCHAT_RED_FLAGS = True
    assert not UrgentChat.objects.filter(chat_id=chat.chat_id).exists()
    figures = {}
    for mode, values in timings.items():
        values.sort()
        figures[mode] = (statistics.median(values), values[int(len(values) * 0.99)])
        p50, p99 = figures[mode]
        print(f"send, red-flag matcher {mode}: n={len(values)} p50 {p50:.2f} ms, p99 {p99:.2f} ms")
    matcher = clinic_snapshot(appointment.clinic_id).matcher
    started = time.perf_counter()
    for n in range(2000):
        matcher.find(ORDINARY[n % len(ORDINARY)])
    each_us = (time.perf_counter() - started) / 2000 * 1e6
    print(f"the matcher alone: {each_us:.0f} µs a message")
    longest = " ".join(ORDINARY * 20)[:10_000]  # as long as a message may be
    started = time.perf_counter()
    for _ in range(200):
        matcher.find(longest)
    each_us = (time.perf_counter() - started) / 200 * 1e6
    print(f"the matcher alone: {each_us:.0f} µs for a {len(longest):,}-character message")
    ratio = figures["on"][1] / figures["off"][1]
    verdict = "within" if ratio <= P99_RATIO_BUDGET else "OVER"
    print(f"send p99, matcher on ÷ off: {ratio:.2f} ({verdict} the {P99_RATIO_BUDGET} budget)")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="a few sends, to keep it working")
    args = parser.parse_args()
    _setup()
    send(10 if args.smoke else 3000)


if __name__ == "__main__":
    main()
