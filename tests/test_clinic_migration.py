"""The move to clinics, on a populated database: the single clinic's settings, staff and
appointments land in the first clinic without loss, and migrating back gives the old shape.

The test database is migrated back to the state before the clinic migrations, filled with a small
clinic's worth of rows in every table they touch, migrated forward and back, and left migrated to
the latest state for the tests after it (the serialized rollback puts back the rows the
migrations themselves made).
"""

from datetime import date, time, timedelta

import pytest
from django.apps.registry import Apps
from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

# The last migration of each app before the clinic became the tenant; tenancy did not exist.
BEFORE = [
    ("appointments", "0002_care_team_and_co_owners"),
    ("attachments", "0003_attachment_withdrawn"),
    ("audit", "0002_search_events"),
    ("chat", "0007_chain_links"),
    ("clinic", "0003_red_flag_phrases_widened"),
    ("notifications", "0003_queued_and_undelivered_emails"),
    ("transcripts", "0002_filed_once_per_rev"),
]
FIRST = 1
# the rows that belong to the clinic, and so carry its id after the move (app, model)
CLINIC_ROWS = [
    ("appointments", "Appointment"),
    ("attachments", "Attachment"),
    ("chat", "Chat"),
    ("chat", "Message"),
    ("clinic", "Closure"),
    ("clinic", "EmergencyNumber"),
    ("clinic", "OpeningSpan"),
    ("clinic", "UrgentChat"),
    ("notifications", "ChatNotification"),
    ("notifications", "UnreadEmail"),
    ("transcripts", "Transcript"),
]
# rows the move must keep as they are, clinic or not
KEPT_ROWS = [
    *CLINIC_ROWS,
    ("audit", "AuditEvent"),
    ("accounts", "User"),
    ("appointments", "AppointmentMember"),
    ("appointments", "CoOwnership"),
    ("appointments", "Pet"),
    ("chat", "ReadState"),
    ("clinic", "CannedAnswer"),
]
SETTINGS = {
    "name": "Riverside Vets",
    "phone": "01632 960 001",
    "after_hours_reply": "We are closed. For an emergency call 01632 960 999.",
}
EDITED_PHRASES = "fitting\nseizure\nshaking all over"


def migrate(targets: list[tuple[str, str | None]]) -> Apps:
    """Migrates the test database to `targets`; returns the models as they are there."""
    return MigrationExecutor(connection).migrate(targets).apps


def latest() -> list[tuple[str, str]]:
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def populate(apps: Apps) -> None:
    """One clinic's worth of rows in every table the move touches, as the old models wrote them."""
    model = apps.get_model
    User = model("accounts", "User")
    now = timezone.now()

    def user(email: str, role: str, **extra: object) -> object:
        return User.objects.create(email=email, name=email.split("@")[0], role=role, **extra)

    parent = user("parent@move.example", "pet_parent")
    co_owner = user("coowner@move.example", "pet_parent")
    vet = user("vet@move.example", "veterinarian")
    vet2 = user("vet2@move.example", "veterinarian")
    nurse = user("nurse@move.example", "technician", job_title="Nurse")
    staff = user("staff@move.example", "staff")
    user("root@move.example", "staff", is_superuser=True)

    Pet = model("appointments", "Pet")
    biscuit = Pet.objects.create(owner=parent, name="Biscuit", species="dog")
    miso = Pet.objects.create(owner=parent, name="Miso", species="cat")
    model("appointments", "CoOwnership").objects.create(
        pet=biscuit, email=co_owner.email, invited_by=parent, user=co_owner, accepted_at=now
    )
    Appointment = model("appointments", "Appointment")
    appointments = [
        Appointment.objects.create(
            pet=pet,
            pet_parent=parent,
            veterinarian=doctor,
            starts_at=now + timedelta(days=days),
            created_at=now,
            updated_at=now,
        )
        for pet, doctor, days in [(biscuit, vet, -3), (biscuit, vet, 0), (miso, vet2, 2)]
    ]
    model("appointments", "AppointmentMember").objects.create(
        appointment=appointments[1], user=nurse, added_by=vet
    )

    Chat, Message = model("chat", "Chat"), model("chat", "Message")
    for appointment in appointments:
        chat = Chat.objects.create(appointment=appointment, created_at=now, last_seq=3)
        messages = [
            Message.objects.create(
                chat=chat,
                seq=seq,
                sender=sender,
                content=f"message {seq}",
                hash=f"{seq:064x}",
                updated_at=now,
            )
            for seq, sender in [(1, parent), (2, appointment.veterinarian), (3, parent)]
        ]
        ReadState = model("chat", "ReadState")
        ReadState.objects.create(chat=chat, user=parent, last_read_seq=3, updated_at=now)
        ReadState.objects.create(
            chat=chat, user=appointment.veterinarian, last_read_seq=2, updated_at=now
        )
        model("attachments", "Attachment").objects.create(
            appointment=appointment,
            uploader=parent,
            kind="image",
            name="leg.jpg",
            content_type="image/jpeg",
            size=1000,
            storage_key=f"attachments/{appointment.pk}/leg.jpg",
            message_id=messages[0].pk,
            attached_at=now,
        )
        model("transcripts", "Transcript").objects.create(
            appointment=appointment,
            audience="participants",
            appointment_updated_at=now,
            file=f"transcripts/{appointment.pk}.pdf",
            created_at=now,
        )
        model("notifications", "ChatNotification").objects.create(
            chat=chat, user=appointment.veterinarian, last_notified_seq=3, updated_at=now
        )
        model("notifications", "UnreadEmail").objects.create(
            chat=chat,
            user=appointment.veterinarian,
            first_seq=3,
            last_seq=3,
            message_count=1,
            created_at=now,
        )
        model("audit", "AuditEvent").objects.create(
            action="chat.read", object_id=str(appointment.pk), user=staff, appointment=appointment
        )
    model("clinic", "UrgentChat").objects.create(
        chat=Chat.objects.get(appointment=appointments[1]),
        message=Message.objects.get(chat__appointment=appointments[1], seq=1),
        seq=1,
        sign="Seizure",
        flagged_at=now,
    )

    # the single clinic's settings, as its staff had edited them (the row the migrations made,
    # or a new one after a transactional test before emptied the tables)
    model("clinic", "ClinicSettings").objects.update_or_create(pk=FIRST, defaults=SETTINGS)
    OpeningSpan = model("clinic", "OpeningSpan")
    OpeningSpan.objects.bulk_create(
        OpeningSpan(clinic_id=FIRST, weekday=day, opens=time(8), closes=time(18))
        for day in range(5)
    )
    model("clinic", "Closure").objects.create(
        clinic_id=FIRST, date=date(2027, 12, 25), reason="Christmas"
    )
    EmergencyNumber = model("clinic", "EmergencyNumber")
    EmergencyNumber.objects.create(clinic_id=FIRST, label="Us", number="01632 960 001")
    EmergencyNumber.objects.create(
        clinic_id=FIRST, label="Night", number="01632 960 999", position=1
    )
    # The default list the migrations made, unless a transactional test before emptied it.
    RedFlagSign = model("clinic", "RedFlagSign")
    sign = RedFlagSign.objects.order_by("pk").first() or RedFlagSign(name="Seizure")
    sign.phrases = EDITED_PHRASES
    sign.save()
    CannedAnswer = model("clinic", "CannedAnswer")
    CannedAnswer.objects.create(title="Fasting", body="No food after 10 pm.")
    CannedAnswer.objects.create(owner=vet, title="Mine", body="Dr. Vet's own words.")


def counts(apps: Apps) -> dict[str, int]:
    return {f"{app}.{name}": apps.get_model(app, name).objects.count() for app, name in KEPT_ROWS}


def shared_signs(apps: Apps) -> list[tuple]:
    return list(
        apps.get_model("clinic", "RedFlagSign")
        .objects.filter(**({"clinic": None} if has_field(apps, "RedFlagSign", "clinic") else {}))
        .order_by("pk")
        .values_list("name", "phrases", "species", "enabled", "position")
    )


def has_field(apps: Apps, model: str, field: str) -> bool:
    return any(f.name == field for f in apps.get_model("clinic", model)._meta.get_fields())


@pytest.fixture
def latest_schema_after():
    """The tests after this one find the latest schema, whatever happened in it."""
    yield
    migrate(latest())
    assert "clinic_id" in column_names("chat_message")


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("latest_schema_after")
def test_the_single_clinic_moves_into_the_first_clinic_and_back_without_loss():
    # given the database as it was before clinics, holding a clinic's worth of rows
    old = migrate([("tenancy", None), *BEFORE])
    populate(old)
    before = counts(old)
    signs = shared_signs(old)
    assert EDITED_PHRASES in [phrases for _, phrases, *_ in signs]

    # when it is migrated forward
    new = migrate(latest())

    # then nothing is lost, and everything is the first clinic's
    assert counts(new) == before
    Clinic = new.get_model("tenancy", "Clinic")
    clinic = Clinic.objects.get()
    assert clinic.pk == FIRST
    assert (clinic.name, clinic.phone, clinic.after_hours_reply) == tuple(SETTINGS.values())
    assert clinic.time_zone == settings.TIME_ZONE
    for app, name in CLINIC_ROWS:
        rows = new.get_model(app, name).objects
        assert set(rows.values_list("clinic_id", flat=True)) == {FIRST}, f"{app}.{name}"
    # Every event of the old single clinic was that clinic's: a clinic's staff find them in its
    # audit trail.
    AuditEvent = new.get_model("audit", "AuditEvent")
    assert set(AuditEvent.objects.values_list("clinic_id", flat=True)) == {FIRST}
    CannedAnswer = new.get_model("clinic", "CannedAnswer")
    assert set(CannedAnswer.objects.filter(owner=None).values_list("clinic_id", flat=True)) == {
        FIRST
    }
    assert CannedAnswer.objects.get(title="Mine").clinic_id is None  # a clinician's own
    User = new.get_model("accounts", "User")
    members = set(
        new.get_model("tenancy", "ClinicMembership")
        .objects.filter(clinic=clinic)
        .values_list("user__email", flat=True)
    )
    assert members == set(
        User.objects.filter(role__in=["veterinarian", "technician", "staff"]).values_list(
            "email", flat=True
        )
    )
    assert len(members) == 5
    # the shared list is kept, and the clinic starts from a copy of it, edits included
    assert shared_signs(new) == signs
    RedFlagSign = new.get_model("clinic", "RedFlagSign")
    assert (
        list(
            RedFlagSign.objects.filter(clinic=clinic)
            .order_by("pk")
            .values_list("name", "phrases", "species", "enabled", "position")
        )
        == signs
    )

    # when it is migrated back
    old = migrate([("tenancy", None), *BEFORE])

    # then the old shape returns: one settings row, and every row still there
    assert counts(old) == before
    assert shared_signs(old) == signs
    row = old.get_model("clinic", "ClinicSettings").objects.get()
    assert (row.pk, row.name, row.phone, row.after_hours_reply) == (
        FIRST,
        *SETTINGS.values(),
    )
    assert old.get_model("clinic", "OpeningSpan").objects.filter(clinic=row).count() == 5
    assert "clinic_id" not in column_names("chat_message")


def column_names(table: str) -> set[str]:
    with connection.cursor() as cursor:
        return {c.name for c in connection.introspection.get_table_description(cursor, table)}
