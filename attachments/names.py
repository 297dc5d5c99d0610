"""The name participants see for an uploaded file: the sender's, made harmless."""

import unicodedata
from pathlib import PurePosixPath

from attachments.models import MAX_NAME_LENGTH

# Bidirectional controls turn "gpj.exe" into what reads as "exe.jpg"; zero-width characters
# hide parts of a name. Both go, along with every control character (Cc) and NUL.
INVISIBLE = {
    "\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u2060", "\ufeff",
    "\u202a", "\u202b", "\u202c", "\u202d", "\u202e",
    "\u2066", "\u2067", "\u2068", "\u2069",
}  # fmt: skip


def display_name(raw: str, *, fallback: str = "file") -> str:
    """The last path part of `raw`, without control or bidirectional characters, at most
    `MAX_NAME_LENGTH` characters with its extension kept."""
    name = unicodedata.normalize("NFC", raw or "")
    # Line breaks and tabs part words; every other control character (NUL, escapes) goes.
    name = "".join(
        " " if c.isspace() else c
        for c in name
        if c not in INVISIBLE
        and (c.isspace() or unicodedata.category(c) not in {"Cc", "Cf", "Cs", "Co", "Cn"})
    )
    # Windows and POSIX separators alike: only the last part is a name.
    name = PurePosixPath(name.replace("\\", "/")).name
    name = " ".join(name.split()).strip(". ")
    if not name:
        name = fallback
    return _shorten(name)


def with_extension(name: str, extension: str) -> str:
    """The name with its extension replaced (a HEIC photo becomes a .jpg)."""
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return _shorten(f"{stem}{extension}")


def _shorten(name: str) -> str:
    if len(name) <= MAX_NAME_LENGTH:
        return name
    stem, dot, extension = name.rpartition(".")
    if dot and 0 < len(extension) <= 10:
        return stem[: MAX_NAME_LENGTH - len(extension) - 1] + "." + extension
    return name[:MAX_NAME_LENGTH]
