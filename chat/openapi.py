"""The chat API's request body as OpenAPI states it: one schema per message type.

Built from the constants of `chat.rules` and `chat.api`, so the published contract says what the
server checks: which types need attachments, what a payload holds when one is sent, when
`content` may be empty, lengths, and the characters that are refused. Generated clients and the
schema fuzzer rely on it.
"""

from copy import deepcopy
from typing import Any

from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent

from chat.api import CLIENT_ID
from chat.models import MAX_CONTENT_LENGTH, Message
from chat.rules import (
    ATTACHMENT_TYPES,
    FAMILY_ONLY_TYPES,
    MAX_ATTACHMENTS,
    PAYLOAD_FIELDS,
    SENDABLE_TYPES,
    SUMMARY_FIELDS,
    VET_ONLY_TYPES,
    payload_checks,
)

Schema = dict[str, Any]

# Every code point `str.isspace()` accepts, so exactly what `str.strip()` removes and what
# `\s` means to Python's `re`; ECMA's `\s` differs, so the class is spelled out.
WHITESPACE = (
    r"\u0009-\u000d\u001c-\u0020\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
)
NO_NUL = r"^[^\u0000]*$"
# Leading whitespace, then one character that is neither whitespace nor NUL: unambiguous, so a
# backtracking matcher stays linear.
NOT_BLANK = rf"^[{WHITESPACE}]*[^\u0000{WHITESPACE}][^\u0000]*$"


def text(max_length: int, *, blank: bool, description: str = "") -> Schema:
    schema: Schema = {
        "type": "string",
        "maxLength": max_length,
        "pattern": NO_NUL if blank else NOT_BLANK,
    }
    if description:
        schema["description"] = description
    return schema


def attachment_schema(message_type: str) -> Schema:
    kind = "any" if message_type == Message.Type.FILE else f"{message_type}/"
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["id"],
        "properties": {
            "id": {
                "type": "string",
                "format": "uuid",
                "description": "The `id` of an upload of yours into this chat "
                f"(`POST /api/appointment-chat/attachments`) not sent yet, of {kind} type.",
            },
        },
    }


def payload_schema(message_type: str) -> Schema:
    """Optional for every type (null or left out: the message is its content alone); once sent,
    it holds its type's fields, the required ones filled in."""
    fields = PAYLOAD_FIELDS[message_type]
    schema: Schema = {
        "type": "object",
        "nullable": True,
        "additionalProperties": False,
        "properties": {
            field.name: text(field.max_length, blank=not field.required, description=field.label)
            for field in fields
        },
    }
    required = [field.name for field in fields if field.required]
    if required:
        schema["required"] = required
    return schema


def summary_fields(message_type: str) -> tuple[str, ...]:
    """The payload fields that can stand for empty content: those of the summary the payload
    must hold once sent, if any (a prescription's medication), else any of the summary."""
    fields = {field.name: field for field in PAYLOAD_FIELDS.get(message_type, ())}
    names = SUMMARY_FIELDS.get(message_type, ())
    return tuple(name for name in names if fields[name].required) or names


def needs_content(message_type: str) -> bool:
    """Whether `content` may be empty only when the payload gives a summary (`chat.rules`):
    every type but those that carry attachments."""
    return message_type not in ATTACHMENT_TYPES


def message_schema(message_type: str, ref: dict[str, Schema]) -> Schema:
    """One message type's request body; `ref` holds the references of its parts."""
    default_text = message_type == Message.Type.TEXT
    properties: Schema = {
        "appointmentId": {"type": "string", "format": "uuid"},
        "messageType": {
            "type": "string",
            "enum": [message_type],
            **({"default": message_type} if default_text else {}),
        },
        "content": text(MAX_CONTENT_LENGTH, blank=True),
        "clientId": {
            "type": "string",
            "nullable": True,
            "pattern": f"^{CLIENT_ID}$",
            "description": "Chosen by the client; repeating it returns the message stored the "
            "first time.",
        },
    }
    required = ["appointmentId"] if default_text else ["appointmentId", "messageType"]

    if message_type in ATTACHMENT_TYPES:
        properties["attachments"] = {
            "type": "array",
            "minItems": 1,
            "maxItems": MAX_ATTACHMENTS,
            "uniqueItems": True,
            "items": ref["attachment"],
        }
        required.append("attachments")
    else:
        properties["attachments"] = {
            "type": "array",
            "maxItems": 0,
            "items": {},
            "description": f"Always empty: {message_type} messages carry no attachments.",
        }

    registered = payload_checks.get(message_type)
    if message_type in PAYLOAD_FIELDS or registered is not None:
        properties["payload"] = ref["payload"]
    else:
        # Nothing but null (`not: {}` refuses every other value; OpenAPI 3.0 has no null type).
        properties["payload"] = {
            "nullable": True,
            "not": {},
            "description": f"Always null: {message_type} messages carry no payload.",
        }

    schema: Schema = {"type": "object", "additionalProperties": False, "properties": properties}
    summary = summary_fields(message_type)
    if registered is not None:
        schema["anyOf"] = [
            {"required": ["content"], "properties": {"content": {"pattern": NOT_BLANK}}},
            {"required": ["payload"], "properties": {"payload": registered.fills_content}},
        ]
    elif needs_content(message_type) and not summary:
        properties["content"] = text(MAX_CONTENT_LENGTH, blank=False)
        required.append("content")
    elif needs_content(message_type):
        # Without content, the payload's summary fields become the text (`chat.rules`).
        schema["anyOf"] = [
            {"required": ["content"], "properties": {"content": {"pattern": NOT_BLANK}}},
            *(
                {
                    "required": ["payload"],
                    "properties": {
                        "payload": {
                            "type": "object",
                            "required": [name],
                            "properties": {name: {"pattern": NOT_BLANK}},
                        }
                    },
                }
                for name in summary
            ),
        ]
    schema["required"] = required
    schema["description"] = describe(message_type)
    return schema


def describe(message_type: str) -> str:
    parts = [f"`messageType` {message_type}."]
    if message_type in ATTACHMENT_TYPES:
        kind = "any" if message_type == Message.Type.FILE else f"{message_type}/"
        parts.append(
            f"Needs 1-{MAX_ATTACHMENTS} attachments of {kind} media type; content may be empty."
        )
    elif message_type in payload_checks:
        parts.append(
            "Needs content, or a payload whose chosen category (not other) says what it is. "
            "The payload's words are added to the content, and the whole is checked against "
            "the length limit."
        )
    elif summary_fields(message_type):
        names = " or ".join(f"`{name}`" for name in summary_fields(message_type))
        parts.append(
            f"Needs content, or a payload whose {names} says what it is. The payload is "
            "optional: without one, the content alone is the message."
        )
    else:
        parts.append("Needs content that is not only whitespace.")
    if message_type in VET_ONLY_TYPES:
        parts.append("Only the appointment's veterinarian may send it (403 for anyone else).")
    if message_type in FAMILY_ONLY_TYPES:
        parts.append("Only the pet's owners may send it (403 for anyone else).")
    parts.append(
        f"Content is at most {MAX_CONTENT_LENGTH:,} characters as sent, surrounding whitespace "
        "is removed, and no text may contain a NUL character."
    )
    return " ".join(parts)


def component(auto_schema: AutoSchema, name: str, schema: Schema) -> Schema:
    resolved = ResolvedComponent(
        name=name, type=ResolvedComponent.SCHEMA, object=f"chat.openapi.{name}", schema=schema
    )
    auto_schema.registry.register_on_missing(resolved)
    return resolved.ref


class SendMessageInputExtension(OpenApiSerializerExtension):
    """`SendMessageInput` parses every type alike; its schema tells the types apart."""

    target_class = "chat.api.SendMessageInput"

    def map_serializer(self, auto_schema: AutoSchema, direction: str) -> Schema:
        variants: dict[str, Schema] = {}
        for message_type in SENDABLE_TYPES:
            title = message_type.title()
            ref: dict[str, Schema] = {}
            if message_type in ATTACHMENT_TYPES:
                ref["attachment"] = component(
                    auto_schema, f"{title}Attachment", attachment_schema(message_type)
                )
            if message_type in PAYLOAD_FIELDS:
                ref["payload"] = component(
                    auto_schema, f"{title}Payload", payload_schema(message_type)
                )
            elif message_type in payload_checks:
                # A copy: drf-spectacular's hooks rewrite a schema in place (enums to refs).
                ref["payload"] = component(
                    auto_schema, f"{title}Payload", deepcopy(payload_checks[message_type].schema)
                )
            variants[message_type] = component(
                auto_schema, f"{title}Message", message_schema(message_type, ref)
            )
        return {
            "required": ["appointmentId"],
            "oneOf": list(variants.values()),
            "discriminator": {
                "propertyName": "messageType",
                "mapping": {kind: schema["$ref"] for kind, schema in variants.items()},
            },
            "description": "One schema per `messageType`; without one, the message is text.",
        }


class MessageChangeInputExtension(OpenApiSerializerExtension):
    """`MessageChangeInput` takes the corrected text or a retraction, never both."""

    target_class = "chat.api.MessageChangeInput"

    def map_serializer(self, auto_schema: AutoSchema, direction: str) -> Schema:
        edit = {
            "type": "object",
            "additionalProperties": False,
            "required": ["content"],
            "properties": {
                "content": text(MAX_CONTENT_LENGTH, blank=False, description="The corrected text."),
                "retracted": {"type": "boolean", "enum": [False]},
            },
            "description": "Correct a text message.",
        }
        retract = {
            "type": "object",
            "additionalProperties": False,
            "required": ["retracted"],
            "properties": {"retracted": {"type": "boolean", "enum": [True]}},
            "description": "Remove the message for its participants; the record keeps it.",
        }
        return {
            "oneOf": [
                component(auto_schema, "MessageEdit", edit),
                component(auto_schema, "MessageRetraction", retract),
            ]
        }


class StrictSerializerExtension(OpenApiSerializerExtension):
    """Every other `StrictSerializer` refuses keys it does not know, and its schema says so: a
    body with a key more is not one the schema allows (the fuzzer sends many)."""

    target_class = "chat.api.StrictSerializer"
    match_subclasses = True
    priority = -1  # below the extensions of the send and change bodies above

    def map_serializer(self, auto_schema: AutoSchema, direction: str) -> Schema:
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        if direction == "request":
            schema["additionalProperties"] = False
        return schema
