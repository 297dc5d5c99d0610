"""A pet parent's mobile number as typed, checked and spelt one way (E.164)."""

import phonenumbers
from django.conf import settings
from phonenumbers import PhoneNumberType

# A landline takes no texts; in some countries (the US among them) a number does not say which
# it is, and `phonenumbers` answers FIXED_LINE_OR_MOBILE: taken, and the carrier tells later.
TEXTABLE = frozenset({PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE})


class NotAMobileNumber(ValueError):
    """Why the typed text is no number a text can go to, in words for the person who typed it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def mobile_number(typed: str, *, region: str | None = None) -> str:
    """The number in E.164 (+447700900123); a number without a country code is read as one of
    VETCHAT_SMS_DEFAULT_REGION's."""
    region = region or settings.VETCHAT_SMS_DEFAULT_REGION
    try:
        parsed = phonenumbers.parse(typed.strip(), region)
    except phonenumbers.NumberParseException:
        raise NotAMobileNumber(
            "This is not a phone number. Type it as you would dial it, or with its country "
            "code (+44 7700 900123)."
        ) from None
    if not phonenumbers.is_possible_number(parsed) or not phonenumbers.is_valid_number(parsed):
        raise NotAMobileNumber(
            "This number has too few or too many digits, or no such number exists. Check it, "
            "and add the country code if it is not a number of this country."
        )
    if phonenumbers.number_type(parsed) not in TEXTABLE:
        raise NotAMobileNumber("This is not a mobile number: texts cannot reach it.")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def e164(number: str) -> str:
    """A number as a carrier sends it (a text's From), spelt as `Phone.number` is; "" when it
    is no phone number."""
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return ""
    if not phonenumbers.is_possible_number(parsed):
        return ""
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def shown(number: str) -> str:
    """The number as its owner reads it (+44 7700 900123)."""
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return number
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
