"""The OpenAPI schema states the chat's real rules: a body it allows is accepted, one it refuses
is refused, for every message type, and every error a client can get is documented."""

import re
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from drf_spectacular.generators import SchemaGenerator

from attachments.services import attachment_upload
from chat.api import MAX_LIMIT, MAX_REV, MAX_SEQ
from chat.models import MAX_CONTENT_LENGTH, Message
from chat.openapi import NO_NUL, NOT_BLANK, WHITESPACE
from chat.rules import MAX_ATTACHMENTS, PAYLOAD_FIELDS, SENDABLE_TYPES
from tests.attachments import files
from tests.chat.conftest import post

MESSAGES = "/api/appointment-chat/messages"
TEXT = Message.Type.TEXT


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=True)


def json_schema(node: Any) -> Any:
    """OpenAPI 3.0's `nullable` as JSON Schema's null type, for a stock validator."""
    if isinstance(node, list):
        return [json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: json_schema(value) for key, value in node.items() if key != "nullable"}
    if node.get("nullable"):
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


def validator_for(schema: dict[str, Any], name: str) -> jsonschema_rs.Draft7Validator:
    """A validator with ECMA regular expressions, as OpenAPI patterns are (Python's `$` would
    also match before a final newline)."""
    root = json_schema({"components": schema["components"]})
    return jsonschema_rs.Draft7Validator({**root, "$ref": f"#/components/schemas/{name}"})


@dataclass(frozen=True)
class Upload:
    """Stands for the id of an upload of the sender's, of this kind, made by the test."""

    kind: str = "image"
    number: int = 0


def attachment(kind: str = "image", number: int = 0, **changes: Any) -> dict[str, Any]:
    return {"id": Upload(kind, number), **changes}


NO_UPLOAD = "0b7e7a4c-5d2f-4c1e-9a57-1f0f3a7c2b11"


def test_schema_validates_without_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yml"))
    assert MESSAGES in (tmp_path / "s.yml").read_text()


@pytest.mark.django_db
def test_schema_is_served_to_clients(client_for, parent):
    response = client_for(parent).get("/api/schema/", {"format": "json"})
    assert response.status_code == HTTPStatus.OK
    paths = response.json()["paths"]
    assert {"get", "post"} <= set(paths[MESSAGES])
    assert {"/api/appointment-chat/test", "/api/appointments/"} <= set(paths)


@pytest.mark.django_db
def test_api_docs_page_loads_its_assets_from_this_site(client_for, parent):
    response = client_for(parent).get("/api/docs/")
    assert response.status_code == HTTPStatus.OK
    assert "swagger-ui" in response.text
    assert "cdn." not in response.text and "unpkg" not in response.text


def test_send_body_is_one_schema_per_message_type(schema):
    body = schema["components"]["schemas"]["SendMessageInput"]
    mapping = body["discriminator"]["mapping"]
    assert set(mapping) == set(SENDABLE_TYPES)
    assert body["oneOf"] == [{"$ref": ref} for ref in mapping.values()]

    components = schema["components"]["schemas"]
    for kind, ref in mapping.items():
        variant = components[ref.rsplit("/", 1)[-1]]
        message_type = variant["properties"]["messageType"]
        enum_ref = message_type["$ref"] if kind != TEXT else message_type["allOf"][0]["$ref"]
        enum = components[enum_ref.rsplit("/", 1)[-1]]
        assert enum["enum"] == [kind]
        assert variant["properties"]["content"]["maxLength"] == MAX_CONTENT_LENGTH
        assert variant["additionalProperties"] is False
        attachments = variant["properties"]["attachments"]
        if kind in {"image", "video", "file"}:
            assert "attachments" in variant["required"]
            assert (attachments["minItems"], attachments["maxItems"]) == (1, MAX_ATTACHMENTS)
        else:
            assert attachments["maxItems"] == 0


def test_payload_schemas_come_from_the_rules(schema):
    components = schema["components"]["schemas"]
    for kind, fields in PAYLOAD_FIELDS.items():
        payload = components[f"{kind.title()}Payload"]
        assert {name: prop["maxLength"] for name, prop in payload["properties"].items()} == {
            field.name: field.max_length for field in fields
        }
        assert payload.get("required", []) == [f.name for f in fields if f.required]
        assert payload["nullable"] is True
    # no type needs a payload: a seed client's prescription is its content alone
    assert "payload" not in components["PrescriptionMessage"]["required"]


def test_query_parameters_state_their_bounds(schema):
    parameters = {p["name"]: p for p in schema["paths"][MESSAGES]["get"]["parameters"]}
    bounds = {
        name: (p["schema"].get("minimum"), p["schema"].get("maximum"))
        for name, p in parameters.items()
        if p["schema"].get("type") == "integer"
    }
    assert bounds == {
        "after": (0, MAX_SEQ),
        "before": (1, MAX_SEQ),
        "limit": (1, MAX_LIMIT),
        "rev": (0, MAX_REV),
    }
    assert parameters["markRead"]["schema"]["type"] == "boolean"
    assert parameters["appointmentId"]["required"] is True


@pytest.mark.parametrize(
    ("path", "method", "statuses"),
    [
        (MESSAGES, "get", {"400", "401", "403", "404"}),
        (MESSAGES, "post", {"400", "401", "403", "404", "409", "413", "415"}),
        (
            f"{MESSAGES}/{{message_id}}",
            "patch",
            {"400", "401", "403", "404", "409", "413", "415", "429"},
        ),
        (f"{MESSAGES}/{{message_id}}/acknowledgement", "post", {"400", "401", "403", "404", "409"}),
        ("/api/appointment-chat/test", "get", {"400", "401", "403", "404"}),
        ("/api/appointments/", "get", {"401"}),
    ],
)
def test_every_error_is_documented_in_the_error_shape(schema, path, method, statuses):
    responses = schema["paths"][path][method]["responses"]
    errors = {status for status in responses if status.startswith(("4", "5"))}
    assert errors == statuses
    for status in statuses:
        (body,) = responses[status]["content"].values()
        assert body["schema"] == {"$ref": "#/components/schemas/Error"}


def test_the_whitespace_class_is_what_python_strips():
    pattern = re.compile(f"[{WHITESPACE}]")
    for code in range(0x110000):
        char = chr(code)
        assert bool(pattern.fullmatch(char)) == char.isspace() == (char.strip() == ""), hex(code)


@pytest.mark.parametrize(
    ("text", "blank"),
    [("", True), (" \t\n", True), ("\u3000\x1c", True), ("\ufeff", False), (" a ", False)],
)
def test_not_blank_means_what_strip_leaves(text, blank):
    assert bool(re.fullmatch(NOT_BLANK, text)) is not blank
    assert bool(re.fullmatch(NO_NUL, text))
    assert not re.fullmatch(NOT_BLANK, text + "\x00")


BODIES = [
    # text
    ({"content": "Hello"}, True),
    ({"messageType": TEXT, "content": "Hello"}, True),
    ({"content": ""}, False),
    ({}, False),
    ({"content": " \n\t"}, False),
    ({"content": "\u2003\x1c"}, False),  # whitespace to Python, not all of it to ECMA's \s
    ({"content": "\ufeff"}, True),  # ECMA's \s would call it blank; Python keeps it
    ({"content": "a\x00b"}, False),
    ({"content": "x" * MAX_CONTENT_LENGTH}, True),
    ({"content": "x" * (MAX_CONTENT_LENGTH + 1)}, False),
    ({"content": " " + "x" * (MAX_CONTENT_LENGTH - 1) + " "}, False),  # counted as sent
    ({"content": 5}, False),
    ({"content": None}, False),
    ({"content": "x", "payload": None}, True),
    ({"content": "x", "payload": {}}, False),
    ({"content": "x", "attachments": []}, True),
    ({"content": "x", "attachments": [attachment()]}, False),
    ({"content": "x", "clientId": "retry-1:a.b_c"}, True),
    ({"content": "x", "clientId": None}, True),
    ({"content": "x", "clientId": "abc\n"}, False),
    ({"content": "x", "clientId": " abc"}, False),
    ({"content": "x", "clientId": 42}, False),
    ({"content": "x", "clientId": "a" * 65}, False),
    ({"content": "x", "surprise": True}, False),
    ({"content": "x", "messageType": "sticker"}, False),
    # image, video, file: uploads by id
    ({"messageType": "image", "attachments": [attachment()]}, True),
    ({"messageType": "image", "content": " ", "attachments": [attachment()]}, True),
    ({"messageType": "image"}, False),
    ({"messageType": "image", "attachments": []}, False),
    ({"messageType": "image", "attachments": [attachment(number=n) for n in range(10)]}, True),
    ({"messageType": "image", "attachments": [attachment(number=n) for n in range(11)]}, False),
    ({"messageType": "image", "attachments": [attachment(), attachment()]}, False),
    ({"messageType": "video", "attachments": [attachment("video")]}, True),
    ({"messageType": "file", "attachments": [attachment("document")]}, True),
    ({"messageType": "file", "attachments": [attachment("image"), attachment("document")]}, True),
    ({"messageType": "file", "attachments": [{"id": 5}]}, False),
    ({"messageType": "file", "attachments": [{}]}, False),
    ({"messageType": "file", "attachments": [attachment(extra=1)]}, False),
    ({"messageType": "file", "attachments": [attachment(url="/a")]}, False),
    (
        {
            "messageType": "file",
            "attachments": [
                {"url": "https://x.example/a", "name": "a", "contentType": "text/plain", "size": 1}
            ],
        },
        False,
    ),
    ({"messageType": "file", "attachments": [attachment()], "payload": {"a": "b"}}, False),
    # assessment: content, or a diagnosis to stand for it
    ({"messageType": "assessment", "content": "Looks well"}, True),
    ({"messageType": "assessment", "payload": {"diagnosis": "Otitis"}}, True),
    ({"messageType": "assessment", "payload": {"diagnosis": " "}}, False),
    ({"messageType": "assessment", "payload": {"findings": "Red ear"}}, False),
    ({"messageType": "assessment", "content": "See", "payload": {"findings": "Red"}}, True),
    ({"messageType": "assessment", "content": "See", "payload": None}, True),
    ({"messageType": "assessment", "content": "See", "payload": {"diagnosis": "x" * 1001}}, False),
    ({"messageType": "assessment", "content": "See", "payload": {"colour": "red"}}, False),
    ({"messageType": "assessment", "content": "See", "payload": "Otitis"}, False),
    # prescription: free text, or a payload whose medication names it
    ({"messageType": "prescription", "payload": {"medication": "Amoxicillin"}}, True),
    ({"messageType": "prescription", "payload": {"dose": "5 mg"}}, False),
    ({"messageType": "prescription", "payload": {"medication": " "}}, False),
    ({"messageType": "prescription", "content": "Take this"}, True),
    ({"messageType": "prescription", "content": "Take this", "payload": None}, True),
    ({"messageType": "prescription", "content": "Take this", "payload": {}}, False),
    ({"messageType": "prescription", "content": "See", "payload": {"dose": "5 mg"}}, False),
    ({"messageType": "prescription", "content": " \n"}, False),
    ({"messageType": "prescription"}, False),
    ({"messageType": "prescription", "payload": None}, False),
    ({"messageType": "prescription", "payload": {"medication": "A", "notes": 3}}, False),
]


UPLOADS = {
    "image": lambda tmp: (files.image_bytes(), "a.jpg"),
    "video": lambda tmp: (files.video(tmp, location=False, seconds=1), "a.mp4"),
    "document": lambda tmp: (files.pdf_document(), "a.pdf"),
}


def with_uploads(body: Any, appointment: Any, sender: Any, tmp: Path) -> Any:
    """The body with each `Upload` replaced by the id of a real upload (one per kind and
    number; those the schema does not know about, such as their kind, stay the rules')."""
    made: dict[Upload, str] = {}

    def replace(node: Any) -> Any:
        if isinstance(node, Upload):
            if node not in made:
                content, name = UPLOADS[node.kind](tmp)
                upload = SimpleUploadedFile(name, content)
                made[node] = str(
                    attachment_upload(appointment=appointment, uploader=sender, upload=upload).pk
                )
            return made[node]
        if isinstance(node, dict):
            return {key: replace(value) for key, value in node.items()}
        if isinstance(node, list):
            return [replace(item) for item in node]
        return node

    return replace(body)


@pytest.mark.django_db
@pytest.mark.parametrize(("body", "allowed"), BODIES)
def test_schema_allows_exactly_what_the_api_accepts(
    schema, client_for, appointment, vet, body, allowed, tmp_path
):
    body = {"appointmentId": str(appointment.pk), **with_uploads(body, appointment, vet, tmp_path)}
    schema_allows = validator_for(schema, "SendMessageInput").is_valid(body)
    response = post(client_for(vet), body)
    assert schema_allows is allowed
    assert (response.status_code == HTTPStatus.CREATED) is allowed, response.json()
