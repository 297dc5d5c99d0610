"""A clinic's yes/no settings that widen what a standing may do (`appointments.access`)."""

from tenancy.models import Clinic

SWITCHES = frozenset({"technicians_may_call"})


def clinic_allows(clinic_id: int, switch: str) -> bool:
    """Whether the clinic has `switch` on: read afresh, so a change in the admin counts at once
    (asked only for the rare check that depends on it)."""
    if switch not in SWITCHES:
        raise ValueError(f"No clinic switch {switch!r}.")
    return Clinic.objects.filter(pk=clinic_id, **{switch: True}).exists()
