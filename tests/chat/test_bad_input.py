"""Everything a client can get wrong answers 4xx with a JSON error naming the field; never 500."""

from http import HTTPStatus

import pytest

from chat.models import Message
from tests.chat.conftest import TEST_URL, URL, post

pytestmark = pytest.mark.django_db

MISSING = "00000000-0000-4000-8000-000000000000"
ABSENT = object()


@pytest.mark.parametrize(
    ("query", "status", "field"),
    [
        ({}, HTTPStatus.BAD_REQUEST, "appointmentId"),
        ({"appointmentId": "not-a-uuid"}, HTTPStatus.BAD_REQUEST, "appointmentId"),
        ({"appointmentId": MISSING}, HTTPStatus.NOT_FOUND, None),
        ({"after": "x"}, HTTPStatus.BAD_REQUEST, "after"),
        ({"after": "-1"}, HTTPStatus.BAD_REQUEST, "after"),
        ({"after": "99999999999999999999"}, HTTPStatus.BAD_REQUEST, "after"),
        ({"before": "0"}, HTTPStatus.BAD_REQUEST, "before"),
        ({"before": "1.5"}, HTTPStatus.BAD_REQUEST, "before"),
        ({"before": "²"}, HTTPStatus.BAD_REQUEST, "before"),
        ({"limit": ""}, HTTPStatus.OK, None),
        ({"after": "1", "before": "5"}, HTTPStatus.BAD_REQUEST, "before"),
        ({"limit": "0"}, HTTPStatus.BAD_REQUEST, "limit"),
        ({"limit": "201"}, HTTPStatus.BAD_REQUEST, "limit"),
        ({"limit": "ten"}, HTTPStatus.BAD_REQUEST, "limit"),
        ({"markRead": "perhaps"}, HTTPStatus.BAD_REQUEST, "markRead"),
    ],
)
def test_bad_queries(client_for, appointment, parent, query, status, field):
    if "appointmentId" not in query and field != "appointmentId":
        query = {"appointmentId": str(appointment.pk), **query}
    response = client_for(parent).get(URL, query)
    assert response.status_code == status
    if status == HTTPStatus.OK:
        return  # an empty value means the default
    error = response.json()["error"]
    assert error["code"] and error["message"]
    if field:
        assert field in error["fields"]


# An id no upload has.
NO_UPLOAD = "0b7e7a4c-5d2f-4c1e-9a57-1f0f3a7c2b11"


def file_at(url: str, size: int = 1) -> dict:
    """An attachment as clients described one before uploads: a URL, refused now."""
    return {"url": url, "name": "a", "contentType": "text/plain", "size": size}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"appointmentId": ABSENT, "content": "no appointment"}, "appointmentId"),
        ({"appointmentId": None, "content": "null appointment"}, "appointmentId"),
        ({"appointmentId": "nope", "content": "x"}, "appointmentId"),
        ({"content": ""}, "content"),
        ({"content": "   \n\t "}, "content"),
        ({}, "content"),
        ({"content": None}, "content"),
        ({"content": 42}, "content"),
        ({"content": "x", "messageType": "text", "payload": [1]}, "payload"),
        ({"content": "x" * 10_001}, "content"),
        ({"content": "nul \x00 byte"}, "content"),
        ({"content": "x", "messageType": "sticker"}, "messageType"),
        ({"content": "x", "clientId": "has spaces"}, "clientId"),
        ({"content": "x", "clientId": "a" * 65}, "clientId"),
        ({"content": "x", "surprise": True}, "surprise"),
        ({"content": "x", "payload": {"medication": "y"}}, "payload"),
        ({"content": "x", "attachments": "not a list"}, "attachments"),
        ({"content": "x", "attachments": [{"id": NO_UPLOAD}]}, "attachments"),
        ({"messageType": "image", "content": "where is it"}, "attachments"),
        ({"messageType": "image", "attachments": [{"id": NO_UPLOAD}]}, "attachments"),
        ({"messageType": "file", "attachments": [{"id": "not-an-id"}]}, "attachments"),
        ({"messageType": "file", "attachments": [{"id": NO_UPLOAD, "x": 1}]}, "attachments"),
        (
            {"messageType": "file", "attachments": [file_at("https://evil.example/a")]},
            "attachments",
        ),
        ({"messageType": "file", "attachments": [file_at("/\\evil.example/a")]}, "attachments"),
        ({"messageType": "file", "attachments": [file_at("//evil.example/a")]}, "attachments"),
        ({"messageType": "file", "attachments": [{"id": NO_UPLOAD}] * 11}, "attachments"),
    ],
)
def test_bad_messages_are_refused_naming_the_field(client_for, appointment, parent, body, field):
    body = {"appointmentId": str(appointment.pk), **body}
    body = {key: value for key, value in body.items() if value is not ABSENT}
    response = post(client_for(parent), body)
    assert response.status_code == HTTPStatus.BAD_REQUEST, response.json()
    assert field in response.json()["error"]["fields"]
    assert not Message.objects.exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"dose": "5 mg"}, "medication"),
        ({"medication": "x" * 201}, "medication"),
        ({"medication": "Amoxicillin", "colour": "red"}, "colour"),
        ("Amoxicillin", "object"),
    ],
)
def test_bad_prescriptions_are_refused(client_for, appointment, vet, payload, field):
    response = post(
        client_for(vet),
        {"appointmentId": str(appointment.pk), "messageType": "prescription", "payload": payload},
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert field in response.json()["error"]["fields"]["payload"]


def test_broken_json_is_400(client_for, appointment, parent):
    response = client_for(parent).post(URL, '{"appointmentId": ', content_type="application/json")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"]["code"] == "malformed_request"


def test_a_json_array_body_is_400(client_for, parent):
    response = client_for(parent).post(URL, "[1, 2]", content_type="application/json")
    assert response.status_code == HTTPStatus.BAD_REQUEST


def test_form_encoded_body_is_415(client_for, appointment, parent):
    response = client_for(parent).post(URL, {"appointmentId": str(appointment.pk), "content": "x"})
    assert response.status_code == HTTPStatus.UNSUPPORTED_MEDIA_TYPE
    assert response.json()["error"]["code"] == "unsupported_media_type"


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_wrong_methods_are_405(client_for, parent, method):
    response = getattr(client_for(parent), method)(URL)
    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_post_to_the_test_endpoint_is_405(client_for, parent):
    response = client_for(parent).post(TEST_URL, {}, content_type="application/json")
    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
