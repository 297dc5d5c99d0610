"""Reading the rota and the pages: who is on call at a moment, and what a chat's pages did."""

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from django.db.models import Exists, QuerySet

from accounts.models import display_name
from oncall.models import EMERGENCY_LEVEL, EmergencyContact, OnCallShift, Page
from tenancy.models import Clinic


@dataclass(frozen=True)
class PageRow:
    """One page as the staff's list and the page's own view show it."""

    id: UUID
    chat_id: int
    seq: int
    round: int
    level: int
    person_id: UUID
    person_name: str
    paged_at: datetime
    due_at: datetime
    state: str
    state_label: str
    acknowledged_at: datetime | None
    ended_at: datetime | None

    @property
    def level_label(self) -> str:
        return "Emergency list" if self.level == EMERGENCY_LEVEL else f"Level {self.level}"

    @property
    def waiting(self) -> bool:
        return self.state == Page.State.WAITING


_ROW_FIELDS = (
    "id",
    "chat_id",
    "seq",
    "round",
    "level",
    "person_id",
    "person__name",
    "person__email",
    "paged_at",
    "due_at",
    "state",
    "acknowledged_at",
    "ended_at",
)
_LABELS = dict(Page.State.choices)


def page_rows(pages: QuerySet[Page]) -> list[PageRow]:
    """The pages as rows, oldest round first, in one query."""
    rows = pages.order_by("round", "paged_at", "person__name", "pk").values_list(*_ROW_FIELDS)
    return [
        PageRow(
            id=pk,
            chat_id=chat_id,
            seq=seq,
            round=round_,
            level=level,
            person_id=person_id,
            person_name=display_name(name, email),
            paged_at=paged_at,
            due_at=due_at,
            state=state,
            state_label=_LABELS.get(state, state),
            acknowledged_at=acknowledged_at,
            ended_at=ended_at,
        )
        for (
            pk,
            chat_id,
            seq,
            round_,
            level,
            person_id,
            name,
            email,
            paged_at,
            due_at,
            state,
            acknowledged_at,
            ended_at,
        ) in rows
    ]


def pages_of_chat(chat_id: int) -> list[PageRow]:
    """Every page the chat sent, oldest round first (one query)."""
    return page_rows(Page.objects.filter(chat_id=chat_id))


def pages_of_appointment(appointment_id: UUID) -> list[PageRow]:
    """Every page of the appointment's chat, oldest round first (one query)."""
    return page_rows(Page.objects.filter(chat__appointment_id=appointment_id))


def shifts_at(clinic_id: int, at: datetime) -> QuerySet[OnCallShift]:
    """The clinic's shifts running at `at`, of active people, lowest level first."""
    return OnCallShift.objects.filter(
        clinic_id=clinic_id, starts_at__lte=at, ends_at__gt=at, clinician__is_active=True
    ).order_by("level", "starts_at", "pk")


def on_call_at(clinic_id: int, at: datetime, level: int | None = None) -> list[UUID]:
    """Who is on shift at `at` (at one level, or any), lowest level first, each once."""
    shifts = shifts_at(clinic_id, at)
    if level is not None:
        shifts = shifts.filter(level=level)
    return list(dict.fromkeys(shifts.values_list("clinician_id", flat=True)))


def emergency_list(clinic_id: int) -> QuerySet[EmergencyContact]:
    return EmergencyContact.objects.filter(clinic_id=clinic_id, clinician__is_active=True).order_by(
        "position", "pk"
    )


def has_rota(clinic_id: int) -> bool:
    """Whether the clinic pages anyone: it has shifts or an emergency list."""
    shifts = OnCallShift.objects.filter(clinic_id=clinic_id)
    contacts = EmergencyContact.objects.filter(clinic_id=clinic_id)
    return Clinic.objects.filter(pk=clinic_id).filter(Exists(shifts) | Exists(contacts)).exists()
