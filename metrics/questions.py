"""Family questions and their first replies, from a run of a clinic's messages. Pure: no
database, no clock.

A question is a family member's message (the pet's owner or a co-owner) that starts a run: no
clinic-side message came before it since the clinic's side last wrote. Its first reply is the
next message of a person on the clinic's side; clinic notices (a hand-over, an after-hours
reply) are neither. It is late once it has waited more than `LATE_AFTER` of business time
(the clinic's open time) for that reply, answered or not.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median
from typing import Generic, TypeVar
from uuid import UUID

LATE_AFTER = timedelta(hours=1)

# How much business time lies between two moments (`clinic.hours.open_time_between` bound to
# one clinic's hours).
BusinessTime = Callable[[datetime, datetime], timedelta]


@dataclass(frozen=True)
class Said:
    """One message of a person in a chat, in the chat's order."""

    chat_id: int
    seq: int
    at: datetime
    family: bool
    sender_id: UUID


@dataclass(frozen=True)
class Question:
    chat_id: int
    asked_at: datetime
    # The first reply's sender and time; None while unanswered.
    replier_id: UUID | None
    replied_at: datetime | None
    # Business time waited: until the reply, or until now while unanswered.
    waited: timedelta

    @property
    def answered(self) -> bool:
        return self.replied_at is not None

    @property
    def late(self) -> bool:
        return self.waited > LATE_AFTER

    @property
    def settled(self) -> bool:
        """Answered, or late already: its outcome is known (one waiting less than the limit
        may still be answered in time)."""
        return self.answered or self.late


def questions_of(
    said: Iterable[Said],
    *,
    family_wrote_last: dict[int, bool],
    now: datetime,
    business_time: BusinessTime,
) -> list[Question]:
    """The questions in `said` (ordered by chat, then seq) with their first replies.

    `family_wrote_last` tells, per chat, whether the last person to write before these
    messages was the family's (its question was asked earlier and is not counted again).
    """
    found: list[Question] = []
    chat_id: int | None = None
    open_question: Said | None = None
    family_last = False

    def close(reply: Said | None) -> None:
        assert open_question is not None  # noqa: S101 - the caller holds one
        end = reply.at if reply is not None else now
        found.append(
            Question(
                chat_id=open_question.chat_id,
                asked_at=open_question.at,
                replier_id=reply.sender_id if reply is not None else None,
                replied_at=reply.at if reply is not None else None,
                waited=business_time(open_question.at, end),
            )
        )

    for message in said:
        if message.chat_id != chat_id:
            if open_question is not None:
                close(None)
            chat_id, open_question = message.chat_id, None
            family_last = family_wrote_last.get(message.chat_id, False)
        if message.family:
            if not family_last:
                open_question = message
            family_last = True
            continue
        if open_question is not None:
            close(message)
            open_question = None
        family_last = False
    if open_question is not None:
        close(None)
    return found


Key = TypeVar("Key")


@dataclass(frozen=True)
class Summary:
    """How a set of questions fared."""

    questions: int
    settled: int
    late: int
    answered: int
    median_minutes: float | None

    @property
    def waiting(self) -> int:
        """Unanswered and not late yet."""
        return self.questions - self.settled

    @property
    def late_share(self) -> float | None:
        """Late among the settled, in percent; None when none is settled."""
        return None if not self.settled else 100 * self.late / self.settled


def summary_of(questions: Iterable[Question]) -> Summary:
    rows = list(questions)
    waits = [q.waited.total_seconds() / 60 for q in rows if q.answered]
    return Summary(
        questions=len(rows),
        settled=sum(q.settled for q in rows),
        late=sum(q.late for q in rows),
        answered=len(waits),
        median_minutes=median(waits) if waits else None,
    )


@dataclass(frozen=True)
class Group(Generic[Key]):
    key: Key
    summary: Summary


def grouped(questions: Iterable[Question], key: Callable[[Question], Key]) -> list[Group[Key]]:
    """The questions' summary per key, in the order each key first appears."""
    groups: dict[Key, list[Question]] = {}
    for question in questions:
        groups.setdefault(key(question), []).append(question)
    return [Group(k, summary_of(each)) for k, each in groups.items()]
