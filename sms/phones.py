"""A pet parent's own number and consent, changed from their profile only: staff, the admin
and the API have no way to opt anyone in."""

from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction

from accounts.models import User
from appointments.participants import FAMILY_ROLES
from sms.models import ConsentEvent, Phone
from vetchat.errors import InvalidInput, NotPermitted

# The words beside the profile's checkbox. A ConsentEvent keeps them as shown that day, so
# changing them here changes only what later consents record.
CONSENT_WORDS = (
    "Text me at this number when a message about my pets waits for me in a chat, with a link to "
    "read and reply. Up to a few texts a day; message and data rates may apply. Reply STOP to "
    "stop, HELP for help."
)


@dataclass(frozen=True)
class PhoneChange:
    phone: Phone | None  # None: the number was removed
    events: list[ConsentEvent]


def may_have_phone(user: User) -> bool:
    """Texts are for pet parents: staff and vets are told in the app and by email."""
    return user.role in FAMILY_ROLES


def phone_save(*, user: User, number: str, consent: bool, words: str, now: datetime) -> PhoneChange:
    """Set, change or remove (`number=""`) the user's number and their consent to texts.

    `number` is E.164 (`sms.numbers.mobile_number`); `words` are the exact words shown beside
    the consent the user gave or withdrew. A new number starts without consent and without
    the old one's failure: consent is to texts at one number, and is given again.
    """
    if not may_have_phone(user):
        raise NotPermitted("Only pet parents add a number for texts.")
    with transaction.atomic():
        phone = Phone.objects.select_for_update().filter(user=user).first()
        events: list[ConsentEvent] = []

        def record(kind: str, at_number: str) -> None:
            events.append(
                ConsentEvent.objects.create(
                    user=user,
                    number=at_number,
                    kind=kind,
                    source=ConsentEvent.Source.PROFILE,
                    words=words,
                    at=now,
                )
            )

        if phone is not None and phone.number != number:
            if phone.texts_allowed:
                record(ConsentEvent.Kind.OPT_OUT, phone.number)
            if not number:
                phone.delete()
                return PhoneChange(None, events)
            phone.opted_in_at = phone.stopped_at = phone.failed_at = None
            phone.failure = ""
            phone.last_appointment = None
            phone.number = number
        elif phone is None:
            if not number:
                return PhoneChange(None, events)
            phone = Phone(user=user, number=number)
        if consent and not phone.texts_allowed:
            # A tick after a STOP is consent given again, on the page that shows its words.
            phone.opted_in_at, phone.stopped_at = now, None
            record(ConsentEvent.Kind.OPT_IN, number)
        elif consent and phone.failed_at is not None:
            # Saved again with the box ticked: the parent says the number works; try it again.
            phone.failed_at, phone.failure = None, ""
        if not consent and phone.opted_in_at is not None:
            if phone.texts_allowed:
                record(ConsentEvent.Kind.OPT_OUT, number)
            phone.opted_in_at = None
        try:
            with transaction.atomic():
                phone.save()
        except IntegrityError:
            raise InvalidInput(
                "This number is already used by another account.",
                fields={"number": "This number is already used by another account."},
            ) from None
        return PhoneChange(phone, events)
