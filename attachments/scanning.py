"""The malware scan every upload passes before it can be attached (ClamAV's clamd), when
`VETCHAT_CLAMD_SOCKET` names one."""

from pathlib import Path

from django.conf import settings


def scan(path: Path) -> None:
    """Raise `Infected` when clamd finds something in the file; nothing without a clamd."""
    if not settings.VETCHAT_CLAMD_SOCKET:
        return
