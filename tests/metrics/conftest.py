"""A prepared week of one clinic's messages, on its clock (New York) and business hours
(weekdays 08:00-12:00 and 13:00-17:00: a lunch hour, nights and weekends closed).

Now is Wednesday 18 November 2026, 16:00. This week (from Monday 16 November):

| chat | pool | question | first reply | business wait |
|---|---|---|---|---|
| A | Nursing | Mon 09:00 | Mon 09:20 by Dr. One | 20 min |
| A | Nursing | Mon 11:50 (11:55 too: one run) | Mon 13:30 by Dr. One | 40 min (not lunch) |
| B | Nursing | Mon 16:30 | Tue 08:45 by Dr. Two | 75 min, late |
| C | none (kept) | Mon 23:00 | Tue 08:30 by Dr. One | 30 min (night not counted) |
| D | long name | Tue 10:00 (a clinic notice 10:05) | Tue 11:31 by Dr. Two | 91 min, late |
| E | none | Wed 14:00 | none, read by Dr. One | 120 min so far, late |
| F | none | Wed 15:30 | none, unread | 30 min so far, waiting |

G asked last week (Fri 13 Nov 16:00), wrote again Mon 08:05 and was answered Mon 08:10: one
late question of last week (70 min). H asked Wed 28 October 10:00 (summer time), answered
10:10. E was flagged urgent at 14:00 and acknowledged at 14:07; F at 15:30, not acknowledged.
"""

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from accounts.services import clinic_account
from chat.models import Chat, Message, ReadState
from clinic.models import OpeningSpan, UrgentChat
from clinic.selectors import forget_clinic_snapshot
from oncall.models import Page
from tenancy.models import Clinic
from tests.factories import AppointmentFactory, ClinicFactory, PetParentFactory, VetFactory
from triage.models import ChatRoute, Pool

NEW_YORK = ZoneInfo("America/New_York")
LONG_POOL = "Veterinarians-of-the-evening-and-weekend-rota-with-a-name-nobody-shortens"


def local(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=NEW_YORK)


NOW = local(11, 18, 16)


def with_hours(clinic: Clinic) -> Clinic:
    for weekday in range(5):
        OpeningSpan.objects.create(clinic=clinic, weekday=weekday, opens=time(8), closes=time(12))
        OpeningSpan.objects.create(clinic=clinic, weekday=weekday, opens=time(13), closes=time(17))
    forget_clinic_snapshot()
    return clinic


def say(chat: Chat, sender, at: datetime, *, notice: bool = False) -> Message:
    """A message in `chat` written at `at` (written directly: these tests read figures, not the
    chat's chain)."""
    chat.last_seq += 1
    chat.save(update_fields=["last_seq"])
    return Message.objects.create(
        chat=chat,
        clinic_id=chat.clinic_id,
        seq=chat.last_seq,
        sender=clinic_account() if notice else sender,
        message_type=Message.Type.SYSTEM if notice else Message.Type.TEXT,
        content="notice" if notice else "words",
        created_at=at,
    )


def new_chat(clinic: Clinic, vet, parent=None) -> Chat:
    appointment = AppointmentFactory(
        clinic=clinic, veterinarian=vet, pet__owner=parent or PetParentFactory()
    )
    return Chat.objects.create(appointment=appointment, clinic=clinic)


def route(chat: Chat, pool: Pool | None) -> None:
    ChatRoute.objects.create(chat=chat, clinic_id=chat.clinic_id, category="medical", pool=pool)


def flag(message: Message, *, acknowledged_after: timedelta | None, person) -> None:
    UrgentChat.objects.create(
        clinic_id=message.clinic_id,
        chat_id=message.chat_id,
        message=message,
        seq=message.seq,
        sign="Breathing difficulty",
        flagged_at=message.created_at,
    )
    acknowledged = None if acknowledged_after is None else message.created_at + acknowledged_after
    Page.objects.create(
        clinic_id=message.clinic_id,
        chat_id=message.chat_id,
        seq=message.seq,
        round=1,
        level=1,
        person=person,
        paged_at=message.created_at,
        due_at=message.created_at + timedelta(minutes=10),
        state=Page.State.WAITING if acknowledged is None else Page.State.ACKNOWLEDGED,
        acknowledged_at=acknowledged,
    )


@dataclass
class Week:
    clinic: Clinic
    one: object
    two: object
    chats: dict[str, Chat]


def prepare_week(clinic: Clinic) -> Week:
    one = VetFactory(name="Dr. One", clinics=clinic)
    two = VetFactory(name="Dr. Two", clinics=clinic)
    chats = {name: new_chat(clinic, one) for name in "ABCDEFGH"}
    family = {name: chat.appointment.pet_parent for name, chat in chats.items()}
    nursing, _ = Pool.objects.get_or_create(clinic=clinic, name="Nursing")
    long_named = Pool.objects.create(clinic=clinic, name=LONG_POOL)
    route(chats["A"], nursing)
    route(chats["B"], nursing)
    route(chats["C"], None)  # kept by a vet
    route(chats["D"], long_named)

    a, b, c, d = (chats[k] for k in "ABCD")
    say(a, family["A"], local(11, 16, 9))
    say(a, one, local(11, 16, 9, 20))
    say(a, family["A"], local(11, 16, 11, 50))
    say(a, family["A"], local(11, 16, 11, 55))
    say(a, one, local(11, 16, 13, 30))
    say(b, family["B"], local(11, 16, 16, 30))
    say(b, two, local(11, 17, 8, 45))
    say(c, family["C"], local(11, 16, 23))
    say(c, one, local(11, 17, 8, 30))
    say(d, family["D"], local(11, 17, 10))
    say(d, None, local(11, 17, 10, 5), notice=True)
    say(d, two, local(11, 17, 11, 31))
    asked_e = say(chats["E"], family["E"], local(11, 18, 14))
    ReadState.objects.create(chat=chats["E"], user=one, last_read_seq=asked_e.seq)
    asked_f = say(chats["F"], family["F"], local(11, 18, 15, 30))
    ReadState.objects.create(chat=chats["F"], user=family["F"], last_read_seq=asked_f.seq)
    say(chats["G"], family["G"], local(11, 13, 16))
    say(chats["G"], family["G"], local(11, 16, 8, 5))
    say(chats["G"], one, local(11, 16, 8, 10))
    asked_h = say(chats["H"], family["H"], local(10, 28, 10))
    say(chats["H"], one, local(10, 28, 10, 10))

    flag(asked_e, acknowledged_after=timedelta(minutes=7), person=one)
    flag(asked_f, acknowledged_after=None, person=two)
    flag(asked_h, acknowledged_after=timedelta(minutes=3), person=one)
    return Week(clinic, one, two, chats)


@pytest.fixture
def week(db) -> Week:
    clinic = with_hours(ClinicFactory(name="Harbor Street", time_zone="America/New_York"))
    return prepare_week(clinic)
