"""What Twilio's and the carriers' error codes mean, in words a clinic and a parent read."""

# https://www.twilio.com/docs/api/errors: the codes a text to a parent meets in practice.
REASONS = {
    "30003": "the phone is switched off or out of reach",
    "30004": "the number blocks texts",
    "30005": "the number does not exist",
    "30006": "the carrier says this is a landline, or its network cannot take texts",
    "30007": "the carrier filtered it as unwanted",
    "30008": "the carrier could not deliver it",
    "21211": "the number is not a valid phone number",
    "21610": "the number replied STOP to this sender",
    "21614": "the number is not a mobile number",
    "21408": "texts to this country are not allowed on this account",
}


def reason_of(code: str | int | None) -> str:
    """The plain reason for an error code; "" for none."""
    if code in (None, ""):
        return ""
    code = str(code)
    return REASONS.get(code, f"the carrier refused it (code {code})")
