"""A clinic's worth of data for the benchmarks, written with set-based SQL so it takes seconds."""

from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import User
from appointments.models import Appointment, Pet
from chat.models import Chat
from tenancy.models import Clinic, ClinicMembership


@dataclass(frozen=True)
class Size:
    parents: int
    vets: int
    appointments: int
    messages_per_chat: int  # in each ordinary chat
    long_chat: int  # messages in the one very long chat
    short_chat: int = 10


FULL = Size(parents=480, vets=40, appointments=2_000, messages_per_chat=25, long_chat=100_000)
SMOKE = Size(parents=40, vets=5, appointments=100, messages_per_chat=10, long_chat=2_000)


@dataclass(frozen=True)
class Dataset:
    long_chat: Appointment
    short_chat: Appointment
    total_messages: int


def bench_clinic() -> Clinic:
    """The clinic the benchmark's rows belong to: the one migrations made, or (in a database a
    transactional test emptied) a new one."""
    return Clinic.objects.order_by("pk").first() or Clinic.objects.create(
        name="Bench clinic", slug="bench-clinic"
    )


def build(size: Size) -> Dataset:
    """Users, pets, appointments with chats, and their messages. Returns the special chats."""
    password = make_password("bench-password")  # hashed once: hashing is slow on purpose
    with transaction.atomic():
        clinic = bench_clinic()
        parents = User.objects.bulk_create(
            User(email=f"parent{n}@bench.example", name=f"Parent {n}", password=password)
            for n in range(size.parents)
        )
        vets = User.objects.bulk_create(
            User(
                email=f"vet{n}@bench.example",
                name=f"Dr. Vet {n}",
                password=password,
                role=User.Role.VETERINARIAN,
            )
            for n in range(size.vets)
        )
        ClinicMembership.objects.bulk_create(ClinicMembership(clinic=clinic, user=v) for v in vets)
        pets = Pet.objects.bulk_create(
            Pet(owner=parent, name=f"Pet {n}") for n, parent in enumerate(parents)
        )
        now = timezone.now()
        appointments = Appointment.objects.bulk_create(
            Appointment(
                clinic=clinic,
                pet=pets[n % len(pets)],
                pet_parent=pets[n % len(pets)].owner,
                veterinarian=vets[n % len(vets)],
                starts_at=now + timedelta(hours=n - size.appointments // 2),
            )
            for n in range(size.appointments)
        )
        Chat.objects.bulk_create(Chat(appointment=a, clinic=clinic) for a in appointments)
        long_chat, short_chat = appointments[0], appointments[1]
        counts = {long_chat.pk: size.long_chat, short_chat.pk: size.short_chat}
        with connection.cursor() as cursor:
            cursor.execute("CREATE TEMPORARY TABLE bench_counts (appointment_id uuid, n int)")
            cursor.executemany(
                "INSERT INTO bench_counts VALUES (%s, %s)",
                [(a.pk, counts.get(a.pk, size.messages_per_chat)) for a in appointments],
            )
            # Alternate the two participants; one message a minute, ending now.
            cursor.execute(
                """
                INSERT INTO chat_message (id, chat_id, clinic_id, seq, sender_id, message_type,
                                          content, attachments, created_at, updated_at)
                SELECT gen_random_uuid(), c.id, c.clinic_id, s,
                       CASE WHEN s % 2 = 0 THEN a.pet_parent_id ELSE a.veterinarian_id END,
                       'text', 'Benchmark message number ' || s, '[]'::jsonb,
                       now() - make_interval(mins => b.n - s),
                       now() - make_interval(mins => b.n - s)
                FROM bench_counts b
                JOIN appointments_appointment a ON a.id = b.appointment_id
                JOIN chat_chat c ON c.appointment_id = a.id
                CROSS JOIN LATERAL generate_series(1, b.n) AS s
                """
            )
            cursor.execute(
                "UPDATE chat_chat c SET last_seq = b.n FROM bench_counts b "
                "WHERE c.appointment_id = b.appointment_id"
            )
            # Both sides have read everything: a poll finds nothing new to mark.
            cursor.execute(
                """
                INSERT INTO chat_readstate (chat_id, user_id, last_read_seq, updated_at)
                SELECT c.id, u.id, c.last_seq, now()
                FROM chat_chat c
                JOIN appointments_appointment a ON a.id = c.appointment_id
                CROSS JOIN LATERAL (VALUES (a.pet_parent_id), (a.veterinarian_id)) AS u(id)
                """
            )
            cursor.execute("DROP TABLE bench_counts")
            cursor.execute("SELECT count(*) FROM chat_message")
            total = cursor.fetchone()[0]
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return Dataset(long_chat=long_chat, short_chat=short_chat, total_messages=total)
