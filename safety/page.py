"""What safety adds to the appointment page: the note under each family message still awaiting
an answer (its promise, the guard's words, a red flag's advice) and the composer's "If you send
now, expect a reply by …"."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.template.loader import get_template
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from appointments.participants import is_clinic
from chat.models import Message
from clinic.selectors import EmergencyContact, clinic_snapshot
from safety.promise import (
    Promise,
    SafeWaitCheck,
    guard_text,
    preview_text,
    promise_text,
)
from safety.selectors import (
    PromiseAnswer,
    StoredPromise,
    promise_for,
    reply_times,
    stored_promises,
)


@dataclass(frozen=True)
class Place:
    name: str
    phone: str
    address: str
    on_call: bool  # the clinic itself, whose clinician on call answers

    @property
    def tel(self) -> str:
        return "".join(c for c in self.phone if c.isdigit() or c == "+")


@dataclass(frozen=True)
class GuardAdvice:
    """The guard's words with where to turn: the clinic's emergency numbers, and the clinic
    itself while someone is on call, else the emergency clinic its settings name."""

    text: str
    emergency_numbers: tuple[EmergencyContact, ...]
    place: Place | None


def guard_advice(*, clinic_id: int, text: str, on_call: bool) -> GuardAdvice | None:
    if not text:
        return None
    clinic, times = clinic_snapshot(clinic_id), reply_times(clinic_id)
    place = None
    if on_call:
        place = Place(clinic.name, clinic.phone, clinic.address, on_call=True)
    elif times.emergency_clinic is not None:
        other = times.emergency_clinic
        place = Place(other.name or "Emergency clinic", other.phone, other.address, on_call=False)
    return GuardAdvice(text, clinic.emergency_numbers, place)


def _note_context(stored: StoredPromise, *, family: bool, now: datetime) -> dict[str, Any]:
    zone = clinic_snapshot(stored.clinic_id).zone
    promise = None if stored.basis == "none" else Promise(stored.basis, stored.expected_by)
    context: dict[str, Any] = {
        "family": family,
        "promise": promise_text(promise, now=now, zone=zone) if promise else "",
        "expected_by": stored.expected_by,
        "red_flags": stored.red_flags,
        "emergency_numbers": clinic_snapshot(stored.clinic_id).emergency_numbers,
    }
    if stored.guard_fired and promise is not None:
        check = SafeWaitCheck(stored.safe_wait, stored.guard_reason, stored.red_flags, True)
        words = guard_text(check, promise, category=stored.category, now=now, zone=zone)
        context["guard"] = guard_advice(
            clinic_id=stored.clinic_id, text=words, on_call=stored.on_call
        )
    return context


def message_notes(chat_id: int, messages: list[dict[str, Any]], viewer: User) -> dict[str, str]:
    """The notes under a page of messages (as `chat.shapes` shapes them), by message id: for
    each family message the clinic has not answered since. One query, none without candidates."""
    ids = [
        m["_id"]
        for m in messages
        if m["messageType"] != Message.Type.SYSTEM and not m.get("retractedAt")
    ]
    if not ids:
        return {}
    now = timezone.now()
    family = not is_clinic(viewer.role)
    drawing = get_template("safety/_message_note.html")
    notes = {}
    for message_id, stored in stored_promises(chat_id, ids).items():
        if stored.answered or (stored.basis == "none" and not stored.red_flags):
            continue  # answered, or nothing to say
        notes[message_id] = drawing.render(_note_context(stored, family=family, now=now))
    return notes


def preview_context(answer: PromiseAnswer, *, clinic_id: int, now: datetime) -> dict[str, Any]:
    """The composer's promise before sending, as `safety/_promise_preview.html` draws it."""
    zone = clinic_snapshot(clinic_id).zone
    words = guard_text(answer.check, answer.promise, category=answer.category, now=now, zone=zone)
    if words:
        words = "If you send now: " + words[0].lower() + words[1:]
    return {
        "category": answer.category,
        "text": preview_text(answer.promise, now=now, zone=zone),
        "expected_by": answer.promise.expected_by if answer.promise else None,
        "guard": guard_advice(clinic_id=clinic_id, text=words, on_call=answer.on_call),
    }


def preview_json(answer: PromiseAnswer, *, clinic_id: int, now: datetime) -> dict[str, Any]:
    """The endpoint's answer: the words, the moment and the block's HTML for the page."""
    context = preview_context(answer, clinic_id=clinic_id, now=now)
    expected = context["expected_by"]
    return {
        "category": answer.category,
        "expectedBy": expected.isoformat() if expected else None,
        "text": context["text"],
        "guardFired": answer.check.fired,
        "guardText": context["guard"].text if context["guard"] else "",
        "html": get_template("safety/_promise_preview.html").render({"preview": context}),
    }


def composer_context(
    *, user: User, chat: dict[str, Any], clinic_id: int, appointment_id: Any, now: datetime
) -> dict[str, Any]:
    """The composer's promise for the family's side of an open chat; nothing for the clinic."""
    if not chat["is_parent"] or chat["read_only"]:
        return {}
    answer = promise_for(clinic_id=clinic_id, chat_id=chat["chat_id"], at=now)
    preview = preview_context(answer, clinic_id=clinic_id, now=now)
    if not preview["text"]:
        return {}  # no opening hours: nothing to promise, whatever the category
    preview["url"] = reverse("safety_promise", args=[appointment_id])
    return {"composer_promise": preview}
