"""The carriers' keywords: a text that is only STOP, START or HELP (or one of their usual
variants) changes what may be sent to its number, at once, whatever else is going on.

The lists follow Twilio's defaults for long codes: opt-out STOP, STOPALL, UNSUBSCRIBE, CANCEL,
END, QUIT, REVOKE, OPTOUT ("Customize users' opt-in and opt-out experience with Advanced
Opt-Out", twilio.com/docs/messaging/tutorials/advanced-opt-out); opt-in START, YES, UNSTOP and
help HELP, INFO ("Twilio support for opt-out keywords (SMS STOP filtering)",
help.twilio.com/articles/223134027). Twilio acts on the same words before the text reaches us,
so both sides agree on who opted out.
"""

import string
from enum import StrEnum


class Keyword(StrEnum):
    STOP = "stop"
    START = "start"
    HELP = "help"


OPT_OUT = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"})
OPT_IN = frozenset({"START", "YES", "UNSTOP"})
HELP = frozenset({"HELP", "INFO"})

_KEYWORDS = {
    **dict.fromkeys(OPT_OUT, Keyword.STOP),
    **dict.fromkeys(OPT_IN, Keyword.START),
    **dict.fromkeys(HELP, Keyword.HELP),
}
# "Stop." and "STOP!!" are STOP; "stop please" is a message (carriers match whole messages).
_TRAILING = string.punctuation + string.whitespace + "\u00a1\u00bf\u2026\u3002\uff01\uff1f"


def keyword_of(body: str) -> Keyword | None:
    """The keyword a whole text is, ignoring case, surrounding space and trailing punctuation."""
    word = body.strip().rstrip(_TRAILING).upper()
    return _KEYWORDS.get(word)
