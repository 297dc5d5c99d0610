"""The API's JSON parser: DRF's, refusing what Python's json module accepts but nothing may use."""

import re
from collections.abc import Mapping
from typing import Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError

# No API body nests deeper than four levels (a message's attachments); the bound leaves room and
# keeps walking the parsed value cheap.
MAX_DEPTH = 32
# A lone surrogate is valid in a JSON escape (\ud800) but is no character: PostgreSQL refuses to
# store it, and the request would fail at the database instead of at the door.
SURROGATE = re.compile("[\ud800-\udfff]")


class JSONParser(parsers.JSONParser):
    def parse(
        self,
        stream: Any,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            # The C decoder gives up at the interpreter's recursion limit, before any memory
            # is spent on the rest of the body.
            raise ParseError(f"JSON nested deeper than {MAX_DEPTH} levels.") from None
        problem = _problem(data)
        if problem:
            raise ParseError(problem)
        return data


def _problem(data: Any) -> str:
    """Why a parsed JSON value is refused, or "" when it is fine; iterative, so it cannot
    recurse itself."""
    pending = [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, str):
            if SURROGATE.search(value):
                return "JSON text contains an unpaired surrogate (\\ud800-\\udfff)."
        elif isinstance(value, dict | list):
            if depth > MAX_DEPTH:
                return f"JSON nested deeper than {MAX_DEPTH} levels."
            if isinstance(value, dict):
                pending.extend((key, depth) for key in value)
                pending.extend((item, depth + 1) for item in value.values())
            else:
                pending.extend((item, depth + 1) for item in value)
    return ""
