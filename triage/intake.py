"""The intake: the questions a clinic asks, the check of what a pet parent answered (registered
with `chat.rules` for the `intake` type), the plain form's fields, and when the page asks."""

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.db.models import Q, Subquery

from appointments.models import Appointment
from appointments.participants import FAMILY_ROLES
from chat.models import Message
from chat.rules import MAX_CONTENT_LENGTH, ChatSubject, CheckedPayload, InvalidMessage
from triage.categories import Category
from triage.models import IntakeQuestion

MAX_ANSWER_LENGTH = 500
MAX_QUESTIONS = 4  # the intake stays short: the first four the clinic set for the species
# The category the message goes as when the parent skips the intake.
SKIPPED = Category.OTHER


@dataclass(frozen=True)
class Question:
    id: int
    text: str
    choices: tuple[str, ...]


def intake_questions(*, clinic_id: int, appointment_id: UUID) -> list[Question]:
    """The enabled questions of the clinic for the appointment's pet's species (or every
    species), in their order, at most `MAX_QUESTIONS`. One query."""
    species = Appointment.objects.filter(pk=appointment_id).values("pet__species")[:1]
    rows = (
        IntakeQuestion.objects.filter(clinic_id=clinic_id, enabled=True)
        .filter(Q(species="") | Q(species=Subquery(species)))
        .order_by("position", "pk")
        .values_list("pk", "text", "choices")[:MAX_QUESTIONS]
    )
    return [
        Question(pk, text, tuple(line.strip() for line in choices.splitlines() if line.strip()))
        for pk, text, choices in rows
    ]


def category_label(category: str) -> str:
    return Category(category).label


class IntakeFields:
    """The intake's payload for `chat.rules.payload_checks` (registered in `triage.apps`)."""

    schema = {
        "type": "object",
        "nullable": True,
        "additionalProperties": False,
        "description": "Null: the intake was skipped (category other). The answers are kept "
        "for a medical question only; each names one of the clinic's questions for the pet.",
        "required": ["category"],
        "properties": {
            "category": {"type": "string", "enum": list(Category.values)},
            "answers": {
                "type": "array",
                "maxItems": MAX_QUESTIONS,
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["questionId", "answer"],
                    "properties": {
                        "questionId": {"type": "integer"},
                        "answer": {"type": "string", "maxLength": MAX_ANSWER_LENGTH},
                    },
                },
            },
        },
    }
    # A category chosen says what the message is about, without the parent's words (their
    # words may go with files in the next message).
    fills_content = {
        "required": ["category"],
        "properties": {"category": {"enum": [c for c in Category.values if c != SKIPPED]}},
    }

    def check(self, appointment: ChatSubject, payload: Any) -> CheckedPayload:
        return intake_payload_check(appointment, payload)

    def own_words(self, content: str, payload: dict[str, Any]) -> str:
        return intake_words(content, payload)

    def words(self, payload: dict[str, Any]) -> str:
        return intake_text(payload)

    def speaks(self, payload: dict[str, Any]) -> bool:
        return payload.get("category") != SKIPPED


def intake_payload_check(appointment: ChatSubject, payload: Any) -> CheckedPayload:
    """An intake's payload as stored: the category, and for a medical question each answer
    with the question's own words (the record keeps what was asked, whatever the clinic
    changes later). No payload is a skipped intake: category "other".

    Sent as `{"category": "medical", "answers": [{"questionId": 3, "answer": "…"}]}`; an
    answer left blank is left out, and answers to anything but a medical question are checked
    but not kept.
    """
    if payload is None:
        payload = {"category": SKIPPED}
    if not isinstance(payload, dict):
        raise InvalidMessage({"payload": "Send an object with a category and answers."})
    unknown = sorted(set(payload) - {"category", "answers"})
    if unknown:
        raise InvalidMessage({"payload": f"{unknown[0]}: Unknown field."})
    category = payload.get("category")
    if not category:
        raise InvalidMessage(
            {"payload": "category: Choose what your message is about, or skip the questions."}
        )
    if category not in Category.values:
        raise InvalidMessage({"payload": f"category: Use one of {', '.join(Category.values)}."})
    answers = payload.get("answers", [])
    if not isinstance(answers, list):
        raise InvalidMessage({"payload": "answers: Send a list of answers."})
    # Answers are checked whatever the category (a client learns of a bad one at once), and
    # kept for a medical question only.
    kept = _answers(appointment, answers) if answers else []
    if category != Category.MEDICAL:
        kept = []
    stored = {"category": category, "categoryLabel": category_label(category), "answers": kept}
    return CheckedPayload(stored, intake_text(stored))


def _answers(appointment: ChatSubject, answers: list[Any]) -> list[dict[str, Any]]:
    questions = {
        q.id: q
        for q in intake_questions(
            clinic_id=appointment.clinic_id,
            appointment_id=appointment.appointment_id,  # type: ignore[attr-defined]
        )
    }
    kept: dict[int, dict[str, Any]] = {}
    for answer in answers:
        if not isinstance(answer, dict) or set(answer) != {"questionId", "answer"}:
            raise InvalidMessage(
                {"payload": 'answers: Each answer is {"questionId": …, "answer": "…"}.'}
            )
        question = questions.get(answer["questionId"]) if _is_id(answer["questionId"]) else None
        if question is None:
            raise InvalidMessage({"payload": "answers: No such question for this pet."})
        text = answer["answer"]
        if not isinstance(text, str) or "\x00" in text:
            raise InvalidMessage({"payload": "answers: Use text."})
        if len(text) > MAX_ANSWER_LENGTH:
            raise InvalidMessage(
                {"payload": f"answers: At most {MAX_ANSWER_LENGTH} characters an answer."}
            )
        text = " ".join(text.split())  # one line each in the message's text
        if text and question.choices and text not in question.choices:
            raise InvalidMessage(
                {"payload": f"answers: Answer “{question.text}” with one of its choices."}
            )
        if text:
            kept[question.id] = {
                "questionId": question.id,
                "question": question.text,
                "answer": text,
            }
    order = list(questions)
    return sorted(kept.values(), key=lambda a: order.index(a["questionId"]))


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def intake_text(payload: dict[str, Any]) -> str:
    """The answers in words, one line each: what the message's text adds after the parent's
    (nothing without answers: the category is the payload's, and the card's)."""
    return "\n".join(f"{a['question']} {a['answer']}." for a in payload.get("answers") or [])


def intake_words(content: str, payload: dict[str, Any]) -> str:
    """The parent's own words of an intake message: its text before the answers in words."""
    added = intake_text(payload)
    if not added:
        return content
    if content == added:
        return ""
    return content.removesuffix(f"\n\n{added}") if content.endswith(added) else content


# The page -------------------------------------------------------------------------------------


def intake_form_draft(post: Any) -> dict[str, Any]:
    """The plain form's intake as the send service takes it: `category` (a radio group) and
    `answer-<question id>` for each medical question. Asked, never forced: the Skip button, or
    no category chosen, sends the message as "other"."""
    skipped = bool(post.get("skip"))
    category = SKIPPED if skipped else post.get("category") or SKIPPED
    answers = []
    if category == Category.MEDICAL:
        for name in post:
            if name.startswith("answer-") and name[7:].isdecimal():
                answers.append({"questionId": int(name[7:]), "answer": post.get(name, "")})
    return {
        "content": post.get("content", ""),
        "messageType": Message.Type.INTAKE,
        "payload": {"category": category, "answers": answers},
        "attachments": [],
        "amends": None,
    }


def intake_due(*, appointment: Appointment, chat: dict[str, Any], new_topic: bool) -> bool:
    """Whether the page asks the intake: for a new topic, and before the family's first
    message in the chat. The messages the page shows answer it without a query unless earlier
    ones are not loaded."""
    if new_topic or chat.get("chat_id") is None:
        return True
    family = {str(appointment.pet_parent_id), *(str(pk) for pk in appointment.co_owner_ids)}
    shown = [item for item in chat.get("items") or [] if not item.get("separator")]
    if any(item["senderId"] in family for item in shown):
        return False
    if not chat.get("has_more") and not chat.get("has_later"):
        return True
    return not Message.objects.filter(
        chat_id=chat["chat_id"], sender__role__in=FAMILY_ROLES
    ).exists()


def intake_context(
    *,
    appointment: Appointment,
    chat: dict[str, Any],
    new_topic: bool,
) -> dict[str, Any] | None:
    """The composer's intake step for a pet's owner, or None when it is not asked."""
    if not chat.get("is_parent") or chat.get("read_only"):
        return None
    draft = chat.get("draft") or {}
    drafted = draft.get("messageType") == Message.Type.INTAKE
    if not drafted and not intake_due(appointment=appointment, chat=chat, new_topic=new_topic):
        return None
    payload = (draft.get("payload") or {}) if drafted else {}
    answered = {a["questionId"]: a["answer"] for a in payload.get("answers") or []}
    chosen = payload.get("category") or ""
    return {
        "new_topic": new_topic,
        "chosen": chosen,
        "categories": [{"value": value, "label": label} for value, label in Category.choices],
        "medical": Category.MEDICAL.value,
        "questions": [
            {
                "id": q.id,
                "text": q.text,
                "choices": q.choices,
                "value": answered.get(q.id, ""),
            }
            for q in intake_questions(
                clinic_id=appointment.clinic_id, appointment_id=appointment.pk
            )
        ],
        "error": (chat.get("errors") or {}).get("payload", "") if drafted else "",
        "max_answer": MAX_ANSWER_LENGTH,
        "max_length": MAX_CONTENT_LENGTH,
    }
