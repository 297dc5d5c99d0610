"""The transcript of a long chat: how long its JSON and its PDF take and how much memory the PDF
needs, on the benchmark's database (run by `make bench` after bench.run; `--smoke`: 30 messages).

    python -m bench.transcripts [--smoke] [--messages N]

The chat is written through the real services (a prescription or an assessment every tenth
message, an edit every 25th, a removal every 50th) and read as staff, so every version is in it.
The PDF is laid out in a fresh process, whose peak RSS is the worker's cost of rendering it.
"""

import argparse
import io
import json
import os
import resource
import subprocess
import sys
import time
import tracemalloc
import uuid
from pathlib import Path

import pypdf

ROOT = Path(__file__).resolve().parents[1]


def _setup() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vetchat.settings")
    django.setup()


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kB


def build_chat(messages: int) -> str:
    """An appointment whose chat holds `messages` messages of every kind; its id."""
    from chat.services import access_chat, message_edit, message_retract, message_send
    from tests.factories import AppointmentFactory, StaffFactory

    appointment = AppointmentFactory(
        pet__owner__email=f"p{uuid.uuid4().hex}@x.io",
        veterinarian__email=f"v{uuid.uuid4().hex}@x.io",
        reason="Itching, hair loss on the flanks, follow-up of the skin scrape",
    )
    StaffFactory(email=f"s{uuid.uuid4().hex}@x.io", is_superuser=True)
    parent, vet = appointment.pet_parent, appointment.veterinarian
    as_parent = access_chat(user=parent, appointment_id=appointment.pk)
    as_vet = access_chat(user=vet, appointment_id=appointment.pk)
    text = (
        "Bella scratched most of the night again; the redness on her left flank looks wider "
        "than yesterday and she keeps licking the same spot. Message {n}."
    )
    for n in range(1, messages + 1):
        if n % 20 == 0:
            message_send(
                chat=as_vet,
                sender=vet,
                content="",
                message_type="prescription",
                payload={"medication": "Apoquel 16 mg", "dose": "1 tablet", "frequency": "daily"},
            )
        elif n % 10 == 0:
            message_send(
                chat=as_vet,
                sender=vet,
                content="",
                message_type="assessment",
                payload={"findings": "Erythema, papules", "diagnosis": "Atopic dermatitis"},
            )
        else:
            sender, chat = (parent, as_parent) if n % 2 else (vet, as_vet)
            sent = message_send(chat=chat, sender=sender, content=text.format(n=n)).message
            if n % 50 == 1:
                message_retract(chat=chat, user=sender, message_id=sent.id)
            elif n % 25 == 1:
                message_edit(chat=chat, user=sender, message_id=sent.id, content=f"Fixed {n}.")
    return str(appointment.pk)


def render(appointment_id: str, *, traced: bool = True) -> dict:
    """In this (fresh) process: the PDF's time and memory, untraced first, then traced."""
    _setup()
    from django.db import connection

    from accounts.models import User
    from appointments.access import access_appointment
    from transcripts.pdf import transcript_pdf
    from transcripts.selectors import transcript_document

    staff = User.objects.filter(role="staff").order_by("-date_joined").first()
    appointment = access_appointment(user=staff, appointment_id=appointment_id)
    transcript_document(appointment=appointment, audience="participants")  # warm the templates
    connection.close()
    baseline = _rss_mb()

    started, cpu_started = time.perf_counter(), time.process_time()
    document = transcript_document(appointment=appointment, audience="staff")
    read = time.perf_counter()
    pdf = transcript_pdf(document)
    done, cpu_done = time.perf_counter(), time.process_time()
    peak = _rss_mb()

    traced_peak = 0
    if traced:  # as long again or longer: the smoke run leaves it out
        tracemalloc.start()
        transcript_pdf(transcript_document(appointment=appointment, audience="staff"))
        _, traced_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return {
        "messages": len(document.entries),
        "read_s": read - started,
        "pdf_s": done - read,
        "cpu_s": cpu_done - cpu_started,
        "bytes": len(pdf),
        "pages": len(pypdf.PdfReader(io.BytesIO(pdf)).pages),
        "baseline_rss_mb": baseline,
        "peak_rss_mb": peak,
        "traced_peak_mb": traced_peak / 1024 / 1024,
    }


def json_time(appointment_id: str) -> float:
    from accounts.models import User
    from appointments.access import access_appointment
    from transcripts.selectors import transcript_document
    from transcripts.shapes import transcript_json

    staff = User.objects.filter(role="staff").order_by("-date_joined").first()
    appointment = access_appointment(user=staff, appointment_id=appointment_id)
    started = time.perf_counter()
    json.dumps(transcript_json(transcript_document(appointment=appointment, audience="staff")))
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="a 30-message chat")
    parser.add_argument("--messages", type=int, help="messages in the chat (default 2,000)")
    parser.add_argument("--render", help=argparse.SUPPRESS)  # the child process
    parser.add_argument("--untraced", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.render:
        print(json.dumps(render(args.render, traced=not args.untraced)))
        return
    smoke = args.smoke or os.environ.get("BENCH_SMOKE") == "1"
    messages = args.messages or (30 if smoke else 2_000)

    _setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    started = time.monotonic()
    appointment_id = build_chat(messages)
    print(f"transcript chat: {messages:,} messages written in {time.monotonic() - started:.0f} s")
    json_s = json_time(appointment_id)
    child = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.transcripts",
            "--render",
            appointment_id,
            *(["--untraced"] if smoke else []),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1800,
        check=True,
    )
    result = json.loads(child.stdout.strip().splitlines()[-1])
    print()
    print(f"vetchat transcript benchmark: one chat of {result['messages']:,} messages, as staff")
    print()
    print(f"| {'measure':<46} | {'value':>12} |")
    print(f"|{'-' * 48}|{'-' * 14}|")
    rows = [
        ("transcript JSON, read and shaped (s)", f"{json_s:.2f}"),
        ("transcript PDF, read (s)", f"{result['read_s']:.2f}"),
        ("transcript PDF, laid out (s)", f"{result['pdf_s']:.2f}"),
        ("transcript PDF, read and laid out, CPU (s)", f"{result['cpu_s']:.2f}"),
        ("transcript PDF size (KB)", f"{result['bytes'] / 1024:.0f}"),
        ("transcript PDF pages", f"{result['pages']}"),
        ("transcript PDF peak RSS (MB)", f"{result['peak_rss_mb']:.0f}"),
        (
            "transcript PDF RSS over the idle process (MB)",
            f"{result['peak_rss_mb'] - result['baseline_rss_mb']:.0f}",
        ),
        (
            "transcript PDF peak Python heap (MB)",
            f"{result['traced_peak_mb']:.0f}" if result["traced_peak_mb"] else "-",
        ),
    ]
    for name, value in rows:
        print(f"| {name:<46} | {value:>12} |")


if __name__ == "__main__":
    main()
