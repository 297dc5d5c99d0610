"""What the appointment page shows of a chat's route: on the clinic's side the pool it waits
in, Take and "Keep this chat with me"; on the family's side, "New topic"."""

from typing import Any

from accounts.models import User
from appointments.access import Action, may
from appointments.models import Appointment
from triage.categories import Category
from triage.models import Pool
from triage.selectors import chat_route


def route_context(user: User, appointment: Appointment, chat: dict[str, Any]) -> dict[str, Any]:
    if chat.get("read_only"):
        return {}
    if chat.get("is_parent"):  # shown once the family has written (the page's script shows it then)
        return {"triage": {"new_topic": bool(chat.get("items"))}}
    if chat.get("chat_id") is None or not user.is_clinic:
        return {}
    route = chat_route(chat["chat_id"])
    waiting = route is not None and route.pool_id is not None and route.taken_by_id is None
    return {
        "triage": {
            "route": route,
            "category": Category(route.category).label if route else "",
            "waiting": waiting,
            "may_take": waiting
            and Pool.members.through.objects.filter(
                pool_id=route.pool_id, user_id=user.pk
            ).exists(),
            "may_keep": may(user, appointment, Action.KEEP_CHAT)
            and (route is None or route.kept_by_id != user.pk),
            "kept_by_me": route is not None and route.kept_by_id == user.pk,
        }
    }
