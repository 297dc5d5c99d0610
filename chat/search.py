"""Full-text search over the chats a user takes part in, for the API and the search page.

One query finds a page of hits with everything a result shows (clinic, pet, appointment, sender,
snippet), whatever the number of hits. Access is part of that query: only messages of
`appointments_of_participant(user)` can match, so no result ever has to be checked afterwards,
and a clinic's vets and technicians find only what is in the clinics they work at.
Retracted messages are never found; an edited message is found by its current text, since its
`search_vector` is generated from `content` by PostgreSQL (chat/models.py).
"""

import base64
import binascii
import re
from dataclasses import dataclass
from datetime import datetime
from html import unescape
from uuid import UUID

from django.contrib.postgres.search import SearchConfig, SearchQuery
from django.db.models import Case, Func, Q, TextField, Value, When
from django.db.models.functions import Length, Replace
from django.db.models.lookups import LessThanOrEqual
from django.utils.dateparse import parse_datetime
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from accounts.models import User, display_name
from appointments.access import appointments_of_participant
from chat.models import SEARCH_CONFIG, Message
from vetchat.errors import InvalidInput, NotPermitted
from vetchat.routers import reading_from_replica

MAX_QUERY_LENGTH = 200
DEFAULT_PAGE = 20
MAX_PAGE = 50
# Messages up to this many characters are their own snippet, every match marked.
WHOLE_SNIPPET = 280
# ts_headline marks hits with these private-use characters, taken out of the text first, so
# that the snippet is escaped whole and only the hits become <mark>: a message's own "<b>" or
# "<mark>" is shown as text, never as markup.
START, STOP = "\ue000", "\ue001"
# The text is escaped before ts_headline sees it: its parser drops anything shaped like an HTML
# tag from a headline, which would cut "<3" or a pasted tag out of the snippet.
HTML_ESCAPES = [("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;"), ("'", "&#x27;")]
MARKERS = re.compile(f"([{START}{STOP}])")
SEARCHERS = {User.Role.PET_PARENT, User.Role.VETERINARIAN, User.Role.TECHNICIAN}


class SearchNotPermitted(NotPermitted):
    def __init__(self) -> None:
        super().__init__(
            "Search covers the chats you take part in; clinic staff read chats in the admin."
        )


@dataclass(frozen=True, slots=True)
class SearchHit:
    message_id: UUID
    seq: int
    appointment_id: UUID
    clinic_id: int
    clinic_name: str  # every hit is labelled: a pet parent's chats may be at several clinics
    clinic_time_zone: str  # the appointment's date is told on its clinic's clock
    pet_name: str
    appointment_starts_at: datetime
    sender_id: UUID
    sender_name: str
    message_type: str
    created_at: datetime
    edited_at: datetime | None
    snippet: SafeString  # the text around the hits, escaped, each hit in <mark>


@dataclass(frozen=True, slots=True)
class SearchPage:
    hits: list[SearchHit]
    next_cursor: str | None  # pass back as `cursor` for the next (older) hits


def clean_query(text: str) -> str:
    """The query as searched, or InvalidInput saying what is wrong with it."""
    text = text.strip()
    if not text:
        raise InvalidInput("Type what to search for.", fields={"q": "Type what to search for."})
    if len(text) > MAX_QUERY_LENGTH:
        problem = f"Use at most {MAX_QUERY_LENGTH} characters."
        raise InvalidInput(problem, fields={"q": problem})
    if "\x00" in text:
        problem = "The search contains a NUL character."
        raise InvalidInput(problem, fields={"q": problem})
    return text


def encode_cursor(hit: SearchHit) -> str:
    raw = f"{hit.created_at.isoformat()}|{hit.message_id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, UUID]:
    """Where the previous page ended: the last hit's time and id."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        moment, message_id = base64.urlsafe_b64decode(padded).decode().split("|")
        created_at = parse_datetime(moment)
        if created_at is None or created_at.tzinfo is None:
            raise ValueError(moment)
        return created_at, UUID(message_id)
    except (ValueError, UnicodeDecodeError, binascii.Error) as error:
        problem = "Use the nextCursor of an earlier answer."
        raise InvalidInput(problem, fields={"cursor": problem}) from error


def headline_input() -> Func:
    """The message text as ts_headline takes it: without the markers, HTML-escaped."""
    text: Func = Replace(Replace("content", Value(START), Value("")), Value(STOP), Value(""))
    for character, entity in HTML_ESCAPES:
        text = Replace(text, Value(character), Value(entity))
    return text


def snippet_html(headline: str) -> SafeString:
    """ts_headline's answer as HTML: every piece of text escaped, only the hits marked.

    The text came escaped (`headline_input`); it is unescaped and escaped again here, so the
    snippet is safe whatever the database handed back.
    """
    parts: list[str] = []
    marking = False
    for part in MARKERS.split(headline):
        if part == START and not marking:
            parts.append("<mark>")
            marking = True
        elif part == STOP and marking:
            parts.append("</mark>")
            marking = False
        elif part not in (START, STOP):
            parts.append(escape(unescape(part)))
    if marking:
        parts.append("</mark>")
    return mark_safe("".join(parts))  # noqa: S308  # nosec B308 B703 - every text part escaped above


@reading_from_replica()  # a message sent a moment ago may be found a moment later
def message_search(
    *, user: User, text: str, cursor: str | None = None, limit: int = DEFAULT_PAGE
) -> SearchPage:
    """The newest messages matching `text` (web search syntax: "a phrase", -word, or) in the
    chats this user takes part in; with `cursor`, the ones older than where it left off."""
    if not user.is_authenticated or user.role not in SEARCHERS:
        raise SearchNotPermitted
    text = clean_query(text)
    limit = max(1, min(limit, MAX_PAGE))
    query = SearchQuery(text, search_type="websearch", config=SEARCH_CONFIG)
    messages = Message.objects.filter(
        chat__appointment__in=appointments_of_participant(user).values("pk"),
        retracted_at__isnull=True,
        search_vector=query,
    )
    if cursor:
        created_at, message_id = decode_cursor(cursor)
        messages = messages.filter(
            Q(created_at__lt=created_at) | Q(created_at=created_at, id__lt=message_id)
        )
    # One ts_headline, its options by the message's length: a short message is shown whole,
    # a long one as the words around its best match.
    marks = f"StartSel='{START}', StopSel='{STOP}'"
    headline = Func(
        SearchConfig(SEARCH_CONFIG),
        headline_input(),
        query,
        Case(
            When(
                LessThanOrEqual(Length("content"), WHOLE_SNIPPET),
                then=Value(f"{marks}, HighlightAll=true"),
            ),
            default=Value(f"{marks}, MaxWords=30, MinWords=12"),
        ),
        function="ts_headline",
        output_field=TextField(),
    )
    rows = (
        messages.order_by("-created_at", "-id")
        .annotate(headline=headline)
        .values_list(
            "id",
            "seq",
            "chat__appointment_id",
            "clinic_id",
            "clinic__name",
            "clinic__time_zone",
            "chat__appointment__pet__name",
            "chat__appointment__starts_at",
            "sender_id",
            "sender__name",
            "sender__email",
            "message_type",
            "created_at",
            "edited_at",
            "headline",
        )[: limit + 1]
    )
    hits = [
        SearchHit(
            message_id=pk,
            seq=seq,
            appointment_id=appointment_id,
            clinic_id=clinic_id,
            clinic_name=clinic_name,
            clinic_time_zone=clinic_time_zone,
            pet_name=pet_name,
            appointment_starts_at=starts_at,
            sender_id=sender_id,
            sender_name=display_name(name, email),
            message_type=message_type,
            created_at=created_at,
            edited_at=edited_at,
            snippet=snippet_html(headline or ""),
        )
        for (pk, seq, appointment_id, clinic_id, clinic_name, clinic_time_zone, pet_name,
             starts_at, sender_id, name, email, message_type, created_at, edited_at,
             headline) in rows
    ]  # fmt: skip
    more = len(hits) > limit
    hits = hits[:limit]
    return SearchPage(hits=hits, next_cursor=encode_cursor(hits[-1]) if more else None)
