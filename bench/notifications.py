"""Two measurements of the notifications, on a database of their own (DATABASE_URL, migrated):

    python -m bench.notifications send      # message_send with and without the subscriber
    python -m bench.notifications worker    # emails a minute from one worker to an SMTP sink
    python -m bench.notifications inbox     # the vet's dashboard with 2,000 appointments

Each adds its own users and appointments; point it at a throwaway database.
"""

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _setup() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vetchat.settings")
    django.setup()


def _appointment(vet=None):
    from tests.factories import AppointmentFactory

    extra = {"veterinarian": vet} if vet else {"veterinarian__email": f"v{uuid.uuid4().hex}@x.io"}
    return AppointmentFactory(pet__owner__email=f"p{uuid.uuid4().hex}@x.io", **extra)


def send(blocks: int, per_block: int) -> None:
    """Send latency in-process, the subscriber on and off in alternating blocks."""
    from chat.events import subscribe, unsubscribe
    from chat.services import access_chat, message_send
    from notifications.subscribers import on_chat_event

    appointment = _appointment()
    vet = appointment.veterinarian
    chat = access_chat(user=vet, appointment_id=appointment.pk)
    timings: dict[str, list[float]] = {"off": [], "on": []}
    for block in range(blocks):
        for mode in ("off", "on"):
            if mode == "on":
                subscribe(on_chat_event, in_transaction=True)
            else:
                unsubscribe(on_chat_event)
            for n in range(per_block):
                started = time.perf_counter()
                message_send(chat=chat, sender=vet, content=f"m{block}-{n}")
                timings[mode].append((time.perf_counter() - started) * 1000)
    subscribe(on_chat_event, in_transaction=True)
    for mode, values in timings.items():
        values.sort()
        p99 = values[int(len(values) * 0.99)]
        print(f"send, notifications {mode}: n={len(values)} ", end="")
        print(f"p50 {statistics.median(values):.2f} ms, p99 {p99:.2f} ms")


def worker(count: int) -> None:
    """Emails a minute from one worker, each to its own chat, to an aiosmtpd sink on loopback."""
    from aiosmtpd.controller import Controller
    from django.conf import settings
    from django.db import connection

    from tests.factories import VetFactory, send_message

    accepted: list[float] = []

    class Sink:
        async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
            accepted.append(time.monotonic())
            return "250 OK"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Sink(), hostname="127.0.0.1", port=port)
    controller.start()
    settings.VETCHAT_NOTIFY_DELAY_SECONDS = 0
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE procrastinate_jobs, procrastinate_workers CASCADE")
    vet = VetFactory(email=f"v{uuid.uuid4().hex}@x.io")
    for _ in range(count):
        send_message(vet, _appointment(vet), "Your results are in.")
    env = {
        **os.environ,
        "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "DJANGO_EMAIL_HOST": "127.0.0.1",
        "DJANGO_EMAIL_PORT": str(port),
    }
    command = [sys.executable, "manage.py", "procrastinate", "worker", "--queues",
               "notifications", "--fetch-job-polling-interval", "0.2"]  # fmt: skip
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 600
    while len(accepted) < count and time.monotonic() < deadline:
        time.sleep(0.2)
    process.terminate()
    process.wait(20)
    controller.stop()
    rate = (len(accepted) - 1) / (accepted[-1] - accepted[0]) * 60
    print(f"worker: {len(accepted)} of {count} emails, {rate:.0f} a minute (one worker)")


def inbox(appointments: int, waiting: int, rounds: int) -> None:
    """The vet's dashboard ("Needs reply" first, then today's, upcoming and recent appointments
    with their unread counts) for a vet with this many appointments, 2 % of them ahead, every
    one with a chat, `waiting` of them waiting for a reply."""
    from datetime import timedelta

    from django.conf import settings
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from accounts.models import User
    from appointments.models import Appointment, Pet
    from chat.models import Chat, Message
    from tests.factories import VetFactory
    from tests.signin import signed_in_client

    settings.ALLOWED_HOSTS = ["testserver"]
    vet = VetFactory(email=f"v{uuid.uuid4().hex}@x.io")
    (clinic_id,) = vet.clinic_ids
    tag = uuid.uuid4().hex[:8]
    parents = User.objects.bulk_create(
        User(email=f"p{n}-{tag}@x.io", name=f"Parent {n}", password="!")  # noqa: S106 - unusable
        for n in range(appointments // 4)
    )
    pets = Pet.objects.bulk_create(Pet(owner=p, name=f"Pet of {p.name}") for p in parents)
    now = timezone.now()
    booked = Appointment.objects.bulk_create(
        Appointment(
            pet=pets[n % len(pets)],
            pet_parent=pets[n % len(pets)].owner,
            clinic_id=clinic_id,
            veterinarian=vet,
            starts_at=now + timedelta(hours=12 * (n - appointments * 98 // 100)),
            reason="Check-up",
        )
        for n in range(appointments)
    )
    chats = Chat.objects.bulk_create(
        Chat(appointment=a, clinic_id=clinic_id, last_seq=2) for a in booked
    )
    messages = []
    for n, (chat, appointment) in enumerate(zip(chats, booked, strict=True)):
        waits = n % (appointments // waiting) == 0
        order = [vet, appointment.pet_parent] if waits else [appointment.pet_parent, vet]
        for seq, sender in enumerate(order, start=1):
            messages.append(
                Message(
                    chat=chat,
                    clinic_id=clinic_id,
                    seq=seq,
                    sender=sender,
                    content="How is he today?",
                )
            )
    Message.objects.bulk_create(messages, batch_size=2000)
    client = signed_in_client(vet)
    timings = []
    for _ in range(rounds):
        started = time.perf_counter()
        response = client.get("/dashboard/")
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
    with CaptureQueriesContext(connection) as queries:
        client.get("/dashboard/")
    timings.sort()
    print(
        f"dashboard, {appointments} appointments ({waiting} waiting): "
        f"p50 {statistics.median(timings):.0f} ms, max of {rounds} {timings[-1]:.0f} ms, "
        f"{len(response.content) // 1024} KiB, {len(queries)} queries"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("what", choices=["send", "worker", "inbox"])
    parser.add_argument("--count", type=int, default=300, help="emails for `worker`")
    args = parser.parse_args()
    _setup()
    if args.what == "send":
        send(blocks=20, per_block=50)
    elif args.what == "inbox":
        inbox(appointments=2000, waiting=50, rounds=20)
        inbox(appointments=2000, waiting=1000, rounds=20)
    else:
        worker(args.count)


if __name__ == "__main__":
    main()
