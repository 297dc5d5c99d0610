"""Search latency over a million messages, on the benchmark's database (DATABASE_URL, migrated):

    python -m bench.search [--smoke]

Adds a clinic of its own: one pet parent with 10 appointments of 200 messages with one vet, and
19,960 other appointments of 50 messages spread over 40 vets (that vet among them), 1,000,000
messages in all, written by set-based SQL from a vocabulary whose words are as unevenly common
as in real chats. Then asks the search API, in-process through Django's test client (session,
user and the search query included), a mix of common, rare, phrase, excluding, either-or and
unmatched queries as the parent and as the vet, and prints p50 and p99 of each.
"""

import argparse
import os
import statistics
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta

# Roughly by how often they come up: the first are in a good share of all messages.
WORDS = """
the dog is and eating vomiting today since not she he cat was water food walk ear left right
leg paw limping eye skin itching scratching rash fever tired sleeping drinking more less bowel
stool diarrhoea blood urine appetite weight lost gained tablet dose twice daily morning evening
week month checkup vaccine booster worm flea tick collar cone wound stitches swelling lump
breathing cough sneezing nose discharge teeth gum dental bad breath infection antibiotics
painkiller meloxicam insulin glucose kidney liver heart murmur xray scan results normal high low
seizure collapse trembling panting restless hiding aggressive quiet play toy bed crate garden
grass chocolate grapes raisins xylitol lily onion bone stick sock swallowed sick again better
worse same thanks please question appointment follow call clinic emergency tonight tomorrow
"""
VOCABULARY = WORDS.split() + [f"term{n}" for n in range(300)]  # and a long tail of rare words


@dataclass(frozen=True)
class Size:
    others: int  # appointments besides the parent's
    per_other: int  # messages in each
    mine: int  # the parent's appointments
    per_mine: int
    vets: int
    samples: int  # of each query, as each user


FULL = Size(others=19_960, per_other=50, mine=10, per_mine=200, vets=40, samples=40)
SMOKE = Size(others=200, per_other=20, mine=3, per_mine=20, vets=4, samples=3)

QUERIES = [
    ("common word", "vomiting"),
    ("two words", "ear infection"),
    ("phrase", '"left ear"'),
    ("excluding", "insulin -cat"),
    ("either", "seizure or collapse"),
    ("rare word", "term277"),
    ("no match", "zebra"),
]


def build(size: Size) -> tuple:
    """The clinic and its messages; returns (parent, vet, messages added, seconds)."""
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction
    from django.utils import timezone

    from accounts.models import User
    from appointments.models import Appointment, Pet
    from chat.models import Chat
    from tenancy.models import Clinic, ClinicMembership

    started = time.monotonic()
    tag = uuid.uuid4().hex[:8]
    password = make_password("bench-password")
    with transaction.atomic():
        clinic = Clinic.objects.create(name=f"Search bench {tag}", slug=f"search-bench-{tag}")
        vets = User.objects.bulk_create(
            User(
                email=f"search-vet{n}-{tag}@bench.example",
                name=f"Dr. Search {n}",
                password=password,
                role=User.Role.VETERINARIAN,
            )
            for n in range(size.vets)
        )
        ClinicMembership.objects.bulk_create(ClinicMembership(clinic=clinic, user=v) for v in vets)
        owners = User.objects.bulk_create(
            User(
                email=f"search-parent{n}-{tag}@bench.example", name=f"Owner {n}", password=password
            )
            for n in range(size.others // 4 + 1)
        )
        parent = owners[0]
        pets = Pet.objects.bulk_create(Pet(owner=o, name=f"Pet {n}") for n, o in enumerate(owners))
        now = timezone.now()
        # The parent's appointments, all with vets[0]; the others' spread over every vet and
        # over two years.
        plan = [(pets[0], vets[0]) for _ in range(size.mine)] + [
            (pets[1 + n % (len(pets) - 1)], vets[n % len(vets)]) for n in range(size.others)
        ]
        appointments = Appointment.objects.bulk_create(
            (
                Appointment(
                    clinic=clinic,
                    pet=pet,
                    pet_parent_id=pet.owner_id,
                    veterinarian=vet,
                    starts_at=now - timedelta(days=730) * (n / len(plan)),
                )
                for n, (pet, vet) in enumerate(plan)
            ),
            batch_size=5000,
        )
        Chat.objects.bulk_create(
            (Chat(appointment=a, clinic=clinic) for a in appointments), batch_size=5000
        )
        mine = {a.pk for a in appointments[: size.mine]}
        with connection.cursor() as cursor:
            # One index build after the load is far cheaper than a million index inserts.
            cursor.execute("DROP INDEX chat_message_search")
            cursor.execute("CREATE TEMPORARY TABLE bench_search (appointment_id uuid, n int)")
            cursor.executemany(
                "INSERT INTO bench_search VALUES (%s, %s)",
                [(a.pk, size.per_mine if a.pk in mine else size.per_other) for a in appointments],
            )
            # 6 to 19 words a message, word k about k^-0.6 as common as the first; a message a
            # minute from the appointment on, the two sides taking turns.
            cursor.execute(
                """
                INSERT INTO chat_message (id, chat_id, clinic_id, seq, sender_id, message_type,
                                          content, attachments, created_at, updated_at)
                SELECT gen_random_uuid(), c.id, c.clinic_id, s,
                       CASE WHEN s %% 2 = 0 THEN a.pet_parent_id ELSE a.veterinarian_id END,
                       'text',
                       (SELECT string_agg(
                                   (%s::text[])[1 + floor(power(random(), 2.5) * %s)::int], ' ')
                        FROM generate_series(1, 6 + (s * 7 + b.n) %% 14)),
                       '[]'::jsonb,
                       a.starts_at + make_interval(mins => s),
                       a.starts_at + make_interval(mins => s)
                FROM bench_search b
                JOIN appointments_appointment a ON a.id = b.appointment_id
                JOIN chat_chat c ON c.appointment_id = a.id
                CROSS JOIN LATERAL generate_series(1, b.n) AS s
                """,
                [VOCABULARY, len(VOCABULARY)],
            )
            added = cursor.rowcount
            cursor.execute(
                "UPDATE chat_chat c SET last_seq = b.n FROM bench_search b "
                "WHERE c.appointment_id = b.appointment_id"
            )
            cursor.execute("DROP TABLE bench_search")
    with connection.cursor() as cursor:
        # After the commit: the load's deferred foreign-key checks must have run first.
        cursor.execute("SET maintenance_work_mem = '512MB'")
        cursor.execute("CREATE INDEX chat_message_search ON chat_message USING gin (search_vector)")
        cursor.execute("RESET maintenance_work_mem")
        cursor.execute("VACUUM ANALYZE chat_message")
        cursor.execute("ANALYZE")
    return parent, vets[0], added, time.monotonic() - started


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def measure(user, samples: int) -> dict[str, list[float]]:
    """Milliseconds of each query's API request, interleaved so a slow moment hits all alike."""
    from tests.signin import signed_in_client

    client = signed_in_client(user)
    timings: dict[str, list[float]] = {name: [] for name, _ in QUERIES}
    for _name, q in QUERIES:  # warm: the first request of each pays for loading pages
        response = client.get("/api/appointment-chat/search", {"q": q})
        assert response.status_code == 200, response.content
    for _ in range(samples):
        for name, q in QUERIES:
            started = time.perf_counter()
            response = client.get("/api/appointment-chat/search", {"q": q})
            timings[name].append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.content
    return timings


def measure_query(user, samples: int) -> dict[str, list[float]]:
    """Milliseconds of the search itself (`chat.search.message_search`), without HTTP."""
    from chat.search import message_search

    timings: dict[str, list[float]] = {name: [] for name, _ in QUERIES}
    for _ in range(samples):
        for name, q in QUERIES:
            started = time.perf_counter()
            message_search(user=user, text=q)
            timings[name].append((time.perf_counter() - started) * 1000)
    return timings


def own_messages(user) -> int:
    from appointments.access import appointments_of_participant
    from chat.models import Message

    return Message.objects.filter(
        chat__appointment__in=appointments_of_participant(user).values("pk")
    ).count()


def with_authenticator(vet) -> None:
    """A vet signs in with an authenticator app; without one the API asks them to set it up."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.utils import encrypt

    Authenticator.objects.get_or_create(
        user=vet, type=Authenticator.Type.TOTP, defaults={"data": {"secret": encrypt("A" * 32)}}
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="tiny data, a few samples")
    parser.add_argument(
        "--again", action="store_true", help="measure the clinic an earlier run left, again"
    )
    args = parser.parse_args()
    smoke = args.smoke or os.environ.get("BENCH_SMOKE") == "1"
    size = SMOKE if smoke else FULL

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vetchat.settings")
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from chat.models import Message
    from tests.signin import signed_in_client

    call_command("migrate", verbosity=0)
    if args.again:
        from accounts.models import User

        newest = User.objects.order_by("-date_joined", "-email")
        parent = newest.filter(email__startswith="search-parent0-").first()
        vet = newest.filter(email__startswith="search-vet0-").first()
    else:
        parent, vet, added, seconds = build(size)
        print(f"search dataset: {added:,} messages added in {seconds:.0f} s")
    with_authenticator(vet)
    total = Message.objects.count()
    print(f"messages in the table: {total:,}")
    client = signed_in_client(parent)
    floor = []
    for _ in range(size.samples * len(QUERIES)):
        started = time.perf_counter()
        client.get("/healthz")
        floor.append((time.perf_counter() - started) * 1000)
    print(
        f"floor, /healthz through the same client: p50 {statistics.median(floor):.2f} ms, "
        f"p99 {percentile(floor, 0.99):.2f} ms"
    )
    print()
    print("| search, as | query | results | p50 ms | p99 ms | query alone p99 ms |")
    print("|---|---|---:|---:|---:|---:|")
    worst: dict[str, float] = {}
    for role, user in (("parent", parent), ("vet", vet)):
        label = f"{role} ({own_messages(user):,} messages of theirs)"
        timings = measure(user, size.samples)
        alone = measure_query(user, size.samples)
        everything = [ms for values in timings.values() for ms in values]
        worst[role] = percentile(everything, 0.99)
        client = signed_in_client(user)
        for name, q in QUERIES:
            found = len(client.get("/api/appointment-chat/search", {"q": q}).json()["results"])
            values = timings[name]
            print(
                f"| {label} | {name}: `{q}` | {found} | {statistics.median(values):.2f} "
                f"| {percentile(values, 0.99):.2f} | {percentile(alone[name], 0.99):.2f} |"
            )
    print()
    print(
        f"search p99 over {total:,} messages: parent {worst['parent']:.1f} ms, "
        f"vet {worst['vet']:.1f} ms (target < 100 ms)"
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_size_pretty(pg_relation_size('chat_message_search'))")
        print(f"search index size: {cursor.fetchone()[0]}")


if __name__ == "__main__":
    main()
