"""Every change safety makes: the promise a family message got, stored when it is sent."""

from chat.events import MessageCreated
from clinic.redflags import Match
from safety.models import MessagePromise
from safety.selectors import promise_for, sign_safe_waits


def promise_record(*, event: MessageCreated, matches: tuple[Match, ...]) -> MessagePromise:
    """Store when a reply to this family message is expected and whether the guard fired, in
    the send's transaction (its category as the chat is routed by now, the red-flag signs it
    raised); the moment is the message's own."""
    at = event.message.created_at
    names = list(dict.fromkeys(m.sign.name for m in matches))
    answer = promise_for(
        clinic_id=event.clinic_id,
        chat_id=event.chat_id,
        at=at,
        sign_waits=sign_safe_waits(event.clinic_id, names),
    )
    promise, check = answer.promise, answer.check
    limit = MessagePromise._meta.get_field("red_flags").max_length
    return MessagePromise.objects.create(
        message_id=event.message.id,
        clinic_id=event.clinic_id,
        chat_id=event.chat_id,
        seq=event.message.seq,
        made_at=at,
        category=answer.category,
        basis=promise.basis if promise is not None else MessagePromise.Basis.NONE,
        expected_by=promise.expected_by if promise is not None else None,
        safe_wait_minutes=int(check.safe_wait.total_seconds() // 60),
        red_flags=", ".join(names)[:limit],
        on_call=answer.on_call,
        guard_fired=check.fired,
        guard_reason=check.reason if check.fired else "",
    )
