"""What may stand in one line of text a person gives (a name), and what never may."""

import unicodedata

# Bidirectional overrides and isolates reorder what a reader is shown.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def breaks_a_line(char: str) -> bool:
    """Control characters (CR, LF, NUL, tab, escape), line and paragraph separators and
    bidirectional controls: none belongs in a name, and in an email header a line break starts
    a new header. Zero-width joiners stay: Persian and Indic names need them."""
    return char in BIDI_CONTROLS or unicodedata.category(char) in {"Cc", "Zl", "Zp"}
