"""Which chat a reply by text belongs in, when the parent was texted about more than one.

A reply goes to the chat of the appointment last texted about, unless texts about other
appointments, whose chats still take messages, went out to the same parent recently: then the
parent is asked which pet the reply is about, and answers with a number or the pet's name.
"""

import string
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from django.db.models import Max
from django.utils import dateformat

from accounts.models import User
from appointments.access import Action
from appointments.models import Appointment
from chat.rules import read_only_reason
from chat.selectors import chat_for
from sms.models import Text
from tenancy.zones import clinic_time
from vetchat.errors import NotFound, NotPermitted

# Texts older than this no longer make a reply ambiguous. A parent answers a text within hours,
# or the next morning; two days also covers an evening's text answered after a busy day, while
# last week's chat about another pet does not turn every reply into a question.
AMBIGUOUS_WITHIN = timedelta(hours=48)
_TRAILING = string.punctuation + string.whitespace


@dataclass(frozen=True)
class Choice:
    appointment_id: UUID
    pet_name: str
    label: str  # the pet's name, and the appointment's day when two choices share a pet name


def chats_texted_about(*, user: User, now: datetime) -> list[UUID]:
    """The appointments the user was texted about within the window whose chats the user may
    still write in, most recently texted first."""
    texted = (
        Text.objects.filter(
            user=user, appointment__isnull=False, created_at__gte=now - AMBIGUOUS_WITHIN
        )
        .values("appointment_id")
        .annotate(last=Max("created_at"))
        .order_by("-last")
    )
    open_chats = []
    for row in texted:
        try:
            chat = chat_for(user=user, appointment_id=row["appointment_id"], action=Action.CHAT)
        except (NotFound, NotPermitted):
            continue
        if not read_only_reason(chat, now):
            open_chats.append(row["appointment_id"])
    return open_chats


def choices_of(appointment_ids: list[UUID | str]) -> list[Choice]:
    """The appointments as the question names them, in the order given."""
    found = {
        str(appointment.pk): appointment
        for appointment in Appointment.objects.select_related("pet").filter(pk__in=appointment_ids)
    }
    appointments = [found[str(pk)] for pk in appointment_ids if str(pk) in found]
    names = [appointment.pet.name for appointment in appointments]
    return [
        Choice(
            appointment_id=appointment.pk,
            pet_name=appointment.pet.name,
            label=(
                f"{appointment.pet.name} ({_day(appointment)})"
                if names.count(appointment.pet.name) > 1
                else appointment.pet.name
            ),
        )
        for appointment in appointments
    ]


def _day(appointment: Appointment) -> str:
    return dateformat.format(clinic_time(appointment.starts_at, appointment.clinic_id), "j M")


def chosen(body: str, choices: list[Choice]) -> Choice | None:
    """The choice a text answers: its number ("2", "#2") or the name (or label) of exactly one."""
    answer = body.strip().rstrip(_TRAILING).lstrip("#").strip()
    if answer.isdecimal():
        number = int(answer)
        return choices[number - 1] if 1 <= number <= len(choices) else None
    answer = answer.casefold()
    named = [
        choice
        for choice in choices
        if answer in {choice.pet_name.casefold(), choice.label.casefold()}
    ]
    return named[0] if len(named) == 1 else None
