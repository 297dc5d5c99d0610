"""Who may do what to an appointment's chat: every role and every endpoint."""

import json
from http import HTTPStatus

import pytest

from chat.models import Message
from tests.chat.conftest import TEST_URL, URL, post

pytestmark = pytest.mark.django_db

SECRET = "Rex has a sensitive condition"


@pytest.fixture
def inactive(appointment):
    user = appointment.pet_parent
    user.is_active = False
    user.save()
    return user


ROLES = {
    "anonymous": lambda request: None,
    "parent": lambda request: request.getfixturevalue("parent"),
    "vet": lambda request: request.getfixturevalue("vet"),
    "other_parent": lambda request: request.getfixturevalue("other_parent"),
    "other_vet": lambda request: request.getfixturevalue("other_vet"),
    "staff": lambda request: request.getfixturevalue("staff"),
    "inactive_parent": lambda request: request.getfixturevalue("inactive"),
}

MATRIX = [
    # role, GET messages, POST messages, GET test
    ("anonymous", HTTPStatus.UNAUTHORIZED, HTTPStatus.UNAUTHORIZED, HTTPStatus.UNAUTHORIZED),
    ("parent", HTTPStatus.OK, HTTPStatus.CREATED, HTTPStatus.OK),
    ("vet", HTTPStatus.OK, HTTPStatus.CREATED, HTTPStatus.OK),
    ("other_parent", HTTPStatus.FORBIDDEN, HTTPStatus.FORBIDDEN, HTTPStatus.FORBIDDEN),
    ("other_vet", HTTPStatus.FORBIDDEN, HTTPStatus.FORBIDDEN, HTTPStatus.FORBIDDEN),
    ("staff", HTTPStatus.FORBIDDEN, HTTPStatus.FORBIDDEN, HTTPStatus.FORBIDDEN),
    ("inactive_parent", HTTPStatus.UNAUTHORIZED, HTTPStatus.UNAUTHORIZED, HTTPStatus.UNAUTHORIZED),
]


def requests_for(appointment_id: str) -> dict:
    query = {"appointmentId": appointment_id}
    return {
        "get_messages": lambda client: client.get(URL, query),
        "post_message": lambda client: post(client, {**query, "content": "Knock knock"}),
        "get_test": lambda client: client.get(TEST_URL, query),
    }


@pytest.mark.parametrize(("role", "get_status", "post_status", "test_status"), MATRIX)
def test_permission_matrix(
    request, client_for, appointment, send, role, get_status, post_status, test_status
):
    send(appointment.veterinarian, SECRET)
    user = ROLES[role](request)
    client = client_for(user)
    calls = requests_for(str(appointment.pk))
    expected = {
        "get_messages": get_status,
        "post_message": post_status,
        "get_test": test_status,
    }
    for name, call in calls.items():
        response = call(client)
        assert response.status_code == expected[name], (role, name, response.content)
        if response.status_code >= HTTPStatus.BAD_REQUEST:
            body = response.json()
            assert set(body) == {"error"}
            text = json.dumps(body)
            assert SECRET not in text and appointment.pet.name not in text
    allowed = post_status == HTTPStatus.CREATED
    assert Message.objects.filter(content="Knock knock").exists() == allowed


@pytest.mark.parametrize("role", ["parent", "other_parent", "staff"])
def test_unknown_appointment_is_404_for_any_signed_in_user(request, client_for, role):
    client = client_for(ROLES[role](request))
    missing = "00000000-0000-4000-8000-000000000000"
    for response in (
        client.get(URL, {"appointmentId": missing}),
        post(client, {"appointmentId": missing, "content": "hi"}),
        client.get(TEST_URL, {"appointmentId": missing}),
    ):
        assert response.status_code == HTTPStatus.NOT_FOUND
        assert response.json()["error"]["code"] == "not_found"


def test_conditional_get_is_checked_like_any_other(client_for, appointment, parent, other_parent):
    # given the participant's ETag
    etag = client_for(parent).get(URL, {"appointmentId": str(appointment.pk)})["ETag"]
    # when an outsider replays it
    response = client_for(other_parent).get(
        URL, {"appointmentId": str(appointment.pk)}, headers={"If-None-Match": etag}
    )
    # then the outsider learns nothing, not even "not modified"
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert "ETag" not in response
