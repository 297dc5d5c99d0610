"""The move to clinics on the benchmark's dataset: how long taking it back to a single clinic and
forward again takes, and that every row survives both (DATABASE_URL, migrated, holding nothing
the benchmark did not put there):

    python -m bench.clinic_migration [--smoke]

Builds `bench.dataset` (FULL: 2,000 appointments, 150,000 messages), migrates back to the state
before clinics (`migrate tenancy zero`), then forward to the latest, timing each and counting the
rows of each table before and after.
"""

import argparse
import os
import time

# table: the rows that must survive, and whether they carry the clinic once moved in
TABLES = {
    "accounts_user": False,
    "appointments_pet": False,
    "appointments_appointment": True,
    "chat_chat": True,
    "chat_message": True,
    "chat_readstate": False,
}


def counts() -> dict[str, int]:
    from django.db import connection

    with connection.cursor() as cursor:
        found = {}
        for table in TABLES:
            cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608  # nosec B608  # our tables
            found[table] = cursor.fetchone()[0]
        return found


def first_clinic_rows() -> dict[str, int]:
    """How many rows of each clinic table belong to the first clinic."""
    from django.db import connection

    with connection.cursor() as cursor:
        found = {}
        for table in (t for t, has_clinic in TABLES.items() if has_clinic):
            cursor.execute(f"SELECT count(*) FROM {table} WHERE clinic_id = 1")  # noqa: S608  # nosec B608
            found[table] = cursor.fetchone()[0]
        return found


def timed_migrate(*args: str) -> float:
    from django.core.management import call_command

    started = time.monotonic()
    call_command("migrate", *args, verbosity=0)
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="a small dataset, for a quick check")
    args = parser.parse_args()
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vetchat.settings")
    django.setup()
    from bench.dataset import FULL, SMOKE, build
    from tenancy.models import ClinicMembership

    data = build(SMOKE if args.smoke else FULL)
    before = counts()
    members = ClinicMembership.objects.count()
    print(f"dataset: {data.total_messages:,} messages; rows: {before}", flush=True)

    back = timed_migrate("tenancy", "zero")
    assert counts() == before, counts()
    print(f"back to a single clinic: {back:.1f} s, every row kept", flush=True)

    forward = timed_migrate()
    assert counts() == before, counts()
    moved = first_clinic_rows()
    assert all(moved[table] == before[table] for table in moved), moved
    assert ClinicMembership.objects.count() == members
    print(
        f"forward into the first clinic: {forward:.1f} s, every row kept and the first "
        f"clinic's; {members} members",
        flush=True,
    )


if __name__ == "__main__":
    main()
