from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from accounts.models import User
from notifications.selectors import unread_total


def unread(request: HttpRequest) -> dict:
    """`unread_total` for the navigation; queried only if the page shows it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or user.role not in _PARTICIPANTS:
        return {}
    return {
        "unread_total": SimpleLazyObject(lambda: unread_total(user=user)),
        "unread_tracking": True,
    }


_PARTICIPANTS = {User.Role.PET_PARENT, User.Role.VETERINARIAN, User.Role.TECHNICIAN}
