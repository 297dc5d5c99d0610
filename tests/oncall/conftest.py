"""A clinic's rota at a fixed moment: levels 1, 2 and 3 on shift around it, an emergency list,
and the helpers that flag a chat and read what its pages did."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from accounts.models import User
from chat.models import Chat, Message
from clinic.models import UrgentChat
from oncall.models import EmergencyContact, OnCallShift, Page
from oncall.services import Urgent, urgent_page
from tests.factories import TechnicianFactory, VetFactory, first_clinic
from tests.sms.conftest import twilio  # noqa: F401 (the stand-in, for the texts)

# A night on call: 02:16 UTC, the clinic's zone UTC.
NIGHT = datetime(2026, 3, 10, 2, 16, tzinfo=UTC)
PAGER = "+12025550188"  # fictional: 555-0100 to 0199


def shift(person: User, level: int, *, at: datetime = NIGHT, phone: str = "") -> OnCallShift:
    return OnCallShift.objects.create(
        clinic=first_clinic(),
        clinician=person,
        level=level,
        starts_at=at - timedelta(hours=6),
        ends_at=at + timedelta(hours=6),
        pager_phone=phone,
    )


@pytest.fixture
def foster(db) -> User:
    return VetFactory(name="Dr. Foster")


@pytest.fixture
def patel(db) -> User:
    return VetFactory(name="Dr. Patel")


@pytest.fixture
def kim(db) -> User:
    return TechnicianFactory(name="Sam Kim")


@pytest.fixture
def boss(db) -> User:
    return VetFactory(name="Dr. Okafor")


@pytest.fixture
def rota(foster, patel, kim, boss) -> dict[str, User]:
    """Foster on level 1 (with a pager phone), Patel on 2, Kim on 3, Okafor the emergency list."""
    shift(foster, 1, phone=PAGER)
    shift(patel, 2)
    shift(kim, 3)
    EmergencyContact.objects.create(clinic=first_clinic(), clinician=boss)
    return {"foster": foster, "patel": patel, "kim": kim, "boss": boss}


def flag(appointment, *, now: datetime = NIGHT, seq: int = 1, sign: str = "Seizure") -> list[Page]:
    """What the red flag's signal does: page the rota about the appointment's chat at `now`."""
    from chat.services import chat_get_or_create

    chat = chat_get_or_create(appointment_id=appointment.pk)
    return urgent_page(
        urgent=Urgent(clinic_id=appointment.clinic_id, chat_id=chat.pk, seq=seq, sign=sign),
        now=now,
    )


def notices(appointment) -> list[str]:
    return list(
        Message.objects.filter(chat__appointment=appointment, message_type=Message.Type.SYSTEM)
        .order_by("seq")
        .values_list("content", flat=True)
    )


def states(appointment) -> list[tuple[str, int, str]]:
    return [
        (page.person.name, page.level, page.state)
        for page in Page.objects.filter(chat__appointment=appointment)
        .select_related("person")
        .order_by("round", "person__name")
    ]


def page_url(page: Page) -> str:
    return reverse("oncall_page", args=[page.pk])


def ack_url(page: Page) -> str:
    return reverse("oncall_page_acknowledge", args=[page.pk])


def chat_of(appointment) -> Chat:
    return Chat.objects.get(appointment=appointment)


def urgent_of(appointment) -> UrgentChat:
    return UrgentChat.objects.get(chat__appointment=appointment)
