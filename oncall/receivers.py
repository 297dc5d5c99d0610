"""What the on-call rota does when the clinic app says a chat was marked urgent."""

from typing import Any

from django.utils import timezone

from accounts.models import User
from appointments.access import Participants, Standing, appointment_key
from clinic.models import UrgentChat
from oncall.models import ON_CALL_ROLES, Page
from oncall.services import Urgent, urgent_page


def on_chat_marked_urgent(sender: Any, urgent: UrgentChat, **kwargs: Any) -> None:
    urgent_page(
        urgent=Urgent(
            clinic_id=urgent.clinic_id, chat_id=urgent.chat_id, seq=urgent.seq, sign=urgent.sign
        ),
        now=timezone.now(),
    )


def paged_standing(user: User, appointment: Participants) -> Standing | None:
    """A clinician with a waiting or acknowledged page about the appointment's chat stands
    on call towards it: they may read and answer the chat, and acknowledge their page."""
    if user.role not in ON_CALL_ROLES:
        return None
    paged = Page.objects.filter(
        person=user,
        chat__appointment_id=appointment_key(appointment),
        state__in=(Page.State.WAITING, Page.State.ACKNOWLEDGED),
    )
    return Standing.ON_CALL if paged.exists() else None
