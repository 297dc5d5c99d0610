"""Loaded by the schema fuzzer (tests/test_api_fuzz.py sets SCHEMATHESIS_HOOKS).

Requests name the signed-in parent's real appointment, and real messages in it, nine times in
ten, so that they reach the chat; the tenth keeps its made-up id and meets the 404. Configured
values would not do: the coverage phase takes none for a body field. Only a well-formed id is
replaced, by another well-formed id, so a request the fuzzer made invalid stays invalid.
"""

import base64
import itertools
import os
import re
from typing import Any

import schemathesis
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

APPOINTMENT = os.environ["VETCHAT_APPOINTMENT"]
# Messages of the parent's own to correct, one after another, and the vet's prescription to
# acknowledge.
OWN_MESSAGES = itertools.cycle(os.environ["VETCHAT_OWN_MESSAGES"].split(","))
PRESCRIPTION = os.environ["VETCHAT_PRESCRIPTION"]
# A photo the parent sent: downloads name it, and uploads send a real PNG, nine times in ten
# (the type comes from the bytes, which no schema can say).
ATTACHMENT = os.environ["VETCHAT_ATTACHMENT"]
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
calls = itertools.count()

# A browser's push subscription key is a point on the P-256 curve, which no schema can say: a
# well-formed key the fuzzer makes is swapped for a real one nine times in ten, like the ids.
# The schema's patterns say all the rest (the endpoint's push services, the auth secret).
P256DH = (
    base64.urlsafe_b64encode(
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )
    .decode()
    .rstrip("=")
)
P256DH_SHAPE = re.compile(r"B[A-P][A-Za-z0-9_-]{85}={0,2}")


def real_push_subscription(body: dict[str, Any]) -> None:
    keys = body.get("keys")
    if isinstance(keys, dict):
        value = keys.get("p256dh")
        if isinstance(value, str) and P256DH_SHAPE.fullmatch(value) and next(calls) % 10:
            keys["p256dh"] = P256DH


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    for container in (case.query, case.body):
        if not isinstance(container, dict):
            continue
        named = container.get("appointmentId")
        if isinstance(named, str) and UUID.fullmatch(named) and next(calls) % 10:
            container["appointmentId"] = APPOINTMENT
        # Marking unread starts from a real message of that chat.
        first = container.get("fromMessageId")
        if isinstance(first, str) and UUID.fullmatch(first) and next(calls) % 10:
            container["fromMessageId"] = next(OWN_MESSAGES)
    if case.operation.path.endswith("/push-subscriptions/"):
        for container in (case.body, case.query):
            if isinstance(container, dict):
                real_push_subscription(container)
    positive = case.meta is not None and all(
        info.mode.name == "POSITIVE"
        for info in [case.meta.generation, *case.meta.components.values()]
    )
    # Paging goes one way at a time: `after` with `before` is refused (400), which the schema
    # cannot say; a request meant to be valid keeps `after` alone.
    query = case.query if isinstance(case.query, dict) else {}
    if positive and case.method == "GET" and "after" in query and "before" in query:
        del query["before"]
    # Only a request meant to be valid gets the real photo: an invalid one must stay invalid.
    uploading = case.operation.path.endswith("/attachments") and isinstance(case.body, dict)
    if uploading and positive and isinstance(case.body.get("file"), bytes) and next(calls) % 10:
        case.body["file"] = PNG
    attachment = (case.path_parameters or {}).get("attachment_id")
    if isinstance(attachment, str) and UUID.fullmatch(attachment) and next(calls) % 10:
        case.path_parameters["attachment_id"] = ATTACHMENT
    message = (case.path_parameters or {}).get("message_id")
    if isinstance(message, str) and UUID.fullmatch(message) and next(calls) % 10:
        acknowledging = case.operation.path.endswith("/acknowledgement")
        case.path_parameters["message_id"] = PRESCRIPTION if acknowledging else next(OWN_MESSAGES)
