"""The profile's texts section: what it shows of a pet parent's number, consent and failures."""

from typing import Any

from accounts.models import User
from portal.forms import PhoneForm
from sms.enabled import sms_enabled
from sms.models import Phone
from sms.numbers import shown
from sms.phones import PhoneChange, may_have_phone


def texts_offered(user: User) -> bool:
    return sms_enabled() and may_have_phone(user)


def phone_context(user: User, *, form: PhoneForm | None = None) -> dict[str, Any]:
    """The section's context: nothing at all when texts are not offered to this user."""
    if not texts_offered(user):
        return {}
    phone = Phone.objects.filter(user=user).first()
    if form is None:
        initial = {"number": shown(phone.number), "consent": phone.texts_allowed} if phone else {}
        form = PhoneForm(initial=initial)
    return {
        "texts_offered": True,
        "phone": phone,
        "phone_form": form,
        "phone_shown": shown(phone.number) if phone else "",
    }


def phone_saved_message(change: PhoneChange) -> str:
    phone = change.phone
    if phone is None:
        return "Your number was removed; we email you instead of texting."
    if phone.texts_allowed:
        return f"Saved: we text {shown(phone.number)} when a message waits for you."
    return f"Saved: {shown(phone.number)}. We do not text it until you tick the box."
