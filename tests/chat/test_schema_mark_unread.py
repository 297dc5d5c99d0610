"""`POST /api/appointment-chat/unread`: the body the schema allows is the body the API takes.

The schema fuzzer (tests/test_api_fuzz.py) sends bodies generated from the published schema;
here the same generator's bodies, pointed at a real chat and message as its hooks point them,
must all be accepted, and the bodies the API refuses must be ones the schema refuses too.
"""

import json
from http import HTTPStatus
from typing import Any

import jsonschema_rs
import pytest
import schemathesis
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given, settings

UNREAD = "/api/appointment-chat/unread"
NO_MESSAGE = "0b7e7a4c-5d2f-4c1e-9a57-1f0f3a7c2b11"

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def published() -> dict[str, Any]:
    """The schema as clients receive it: JSON, not Python objects."""
    return json.loads(json.dumps(SchemaGenerator().get_schema(request=None, public=True)))


def body_validator(published: dict[str, Any]) -> jsonschema_rs.Draft202012Validator:
    """With formats checked, as the fuzzer generates them (`uuid` is a format from 2019-09 on)."""
    root = {"components": published["components"]}
    return jsonschema_rs.Draft202012Validator(
        {**root, "$ref": "#/components/schemas/MarkUnreadInput"}, validate_formats=True
    )


def test_the_schema_refuses_keys_the_api_refuses(published):
    body = published["components"]["schemas"]["MarkUnreadInput"]
    assert body["additionalProperties"] is False
    assert body["required"] == ["appointmentId", "fromMessageId"]


def test_every_body_the_schema_generates_is_accepted(
    published, client_for, appointment, parent, send
):
    # given the parent's chat with a message in it, and bodies made from the published schema
    message = send(parent, "first")
    client = client_for(parent)
    operation = schemathesis.openapi.from_dict(published)[UNREAD]["POST"]
    answers: list[tuple[dict, int]] = []

    @settings(
        max_examples=40, database=None, deadline=None, suppress_health_check=list(HealthCheck)
    )
    @given(operation.as_strategy())
    def post_generated(case: Any) -> None:
        body = dict(case.body)
        # the ids the schema cannot know, as the fuzzer's hooks give them
        body["appointmentId"] = str(appointment.pk)
        body["fromMessageId"] = str(message.id)
        response = client.post(UNREAD, body, content_type="application/json")
        answers.append((case.body, response.status_code))

    # when each is sent
    post_generated()

    # then every one is taken
    assert len(answers) >= 10
    refused = [(body, status) for body, status in answers if status != HTTPStatus.OK]
    assert refused == []


@pytest.mark.parametrize(
    ("changes", "allowed"),
    [
        ({}, True),
        ({"fromMessageId": NO_MESSAGE}, True),  # well-formed: 404 says no such message
        ({"surprise": True}, False),
        ({"fromMessageId": None}, False),
        ({"fromMessageId": 5}, False),
        ({"fromMessageId": "not-an-id"}, False),
        ({"fromMessageId": NO_MESSAGE.replace("-", "")}, False),
        ({"fromMessageId": "{" + NO_MESSAGE + "}"}, False),
        ({"fromMessageId": NO_MESSAGE.upper()}, True),
        ({"appointmentId": "1234"}, False),
    ],
)
def test_schema_allows_exactly_what_the_api_accepts(
    published, client_for, appointment, parent, send, changes, allowed
):
    message = send(parent, "first")
    body = {"appointmentId": str(appointment.pk), "fromMessageId": str(message.id), **changes}
    response = client_for(parent).post(UNREAD, body, content_type="application/json")
    assert body_validator(published).is_valid(body) is allowed
    assert (response.status_code != HTTPStatus.BAD_REQUEST) is allowed, response.json()


def test_a_body_missing_a_field_is_refused_by_both(published, client_for, appointment, parent):
    body = {"appointmentId": str(appointment.pk)}
    response = client_for(parent).post(UNREAD, body, content_type="application/json")
    assert not body_validator(published).is_valid(body)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "fromMessageId" in response.json()["error"]["fields"]
