"""Loaded by the schema fuzzer (tests/test_api_fuzz.py sets SCHEMATHESIS_HOOKS).

Requests name the signed-in parent's real appointment nine times in ten, so that they reach the
chat; the tenth keeps its made-up id and meets the 404. Configured values would not do: the
coverage phase takes none for a body field. Only a well-formed id is replaced, by another
well-formed id, so a request the fuzzer made invalid stays invalid.
"""

import itertools
import os
import re
from typing import Any

import schemathesis

APPOINTMENT = os.environ["VETCHAT_APPOINTMENT"]
UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
calls = itertools.count()


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    for container in (case.query, case.body):
        if not isinstance(container, dict):
            continue
        named = container.get("appointmentId")
        if isinstance(named, str) and UUID.fullmatch(named) and next(calls) % 10:
            container["appointmentId"] = APPOINTMENT
