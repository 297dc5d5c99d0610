"""What the promise needs from the apps to safety's left: the chat's route and its pool's queue
(triage), who is on call (oncall). One place, so the rule itself stays pure."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings

from oncall.selectors import on_call_at
from triage.selectors import chat_route, pool_member_ids, pool_waiting


@dataclass(frozen=True)
class RouteLoad:
    category: str | None  # the chat's category as routed; None: not routed
    queue_ahead: int
    members: int


def route_load(chat_id: int | None) -> RouteLoad:
    """The chat's category and the work ahead of its next message. A chat someone took or
    kept is answered by that one person, with nothing of the pool's queue ahead; a chat still
    in its pool waits behind the pool's other waiting chats, shared by its members. Not routed:
    one person, nothing ahead."""
    route = chat_route(chat_id) if chat_id is not None else None
    if route is None:
        return RouteLoad(None, 0, 1)
    category = str(route.category) if route.category else None
    if route.taken_by_id or route.kept_by_id or route.pool_id is None:
        return RouteLoad(category, 0, 1)
    # The pool's waiting count includes this chat itself.
    ahead = max(0, pool_waiting(route.pool_id) - 1)
    return RouteLoad(category, ahead, len(pool_member_ids(route.pool_id)))


def paged_within(clinic_id: int, at: datetime) -> timedelta | None:
    """Someone is on call at `at`: they are paged for a red flag and must acknowledge within
    the ack minutes. None: nobody is."""
    if not on_call_at(clinic_id, at):
        return None
    return timedelta(minutes=settings.VETCHAT_ONCALL_ACK_MINUTES)
