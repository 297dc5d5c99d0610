"""Who may upload into a chat and who may download what was sent, role by role (as the
permission table of tests/test_permissions.py does for the other doors)."""

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.test import Client
from django.utils import timezone

from accounts.middleware import session_mark_mfa_checked, session_stamp
from appointments.models import Appointment
from attachments.models import Attachment
from audit.models import AuditEvent
from chat.models import Chat
from chat.services import access_chat, message_retract
from tests.attachments import files
from tests.attachments.conftest import upload
from tests.care_team import make_role
from tests.factories import send_message

ROLES = ["parent", "vet", "other_parent", "other_vet", "staff", None]


# The care team's and the household's roles (tests/care_team.py): who is in the chat now.
TEAM_MAY = {
    "technician": True,
    "outside_technician": False,
    "co_owner": True,
    "revoked_co_owner": False,
    "new_vet": True,
    "previous_vet": False,
}


@pytest.fixture
def user_of(request, appointment):
    def get(role):
        if role in TEAM_MAY:
            return make_role(role, appointment)
        return None if role is None else request.getfixturevalue(role)

    return get


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("parent", HTTPStatus.CREATED),
        ("vet", HTTPStatus.CREATED),
        ("other_parent", HTTPStatus.NOT_FOUND),
        ("other_vet", HTTPStatus.NOT_FOUND),
        ("staff", HTTPStatus.FORBIDDEN),  # staff read chats; they do not write in them
        (None, HTTPStatus.UNAUTHORIZED),
        *[(r, HTTPStatus.CREATED if may else HTTPStatus.NOT_FOUND) for r, may in TEAM_MAY.items()],
    ],
)
def test_who_may_upload(client_for, user_of, appointment, role, status):
    response = upload(client_for(user_of(role)), appointment.pk, files.image_bytes())

    assert response.status_code == status
    if status != HTTPStatus.CREATED:
        assert response.json()["error"]["code"]


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"status": "cancelled"}, "cancelled"),
        ({"status": "completed", "starts_at_days_ago": 30}, "follow-up window"),
    ],
)
def test_a_read_only_chat_takes_no_files(parent_client, appointment, changes, reason):
    days_ago = changes.pop("starts_at_days_ago", 0)
    Appointment.objects.filter(pk=appointment.pk).update(
        starts_at=timezone.now() - timedelta(days=days_ago), **changes
    )

    response = upload(parent_client, appointment.pk, files.image_bytes())

    assert response.status_code == HTTPStatus.CONFLICT
    assert response.json()["error"]["code"] == "chat_read_only"
    assert reason in response.json()["error"]["message"]
    assert not Attachment.objects.exists()


def test_a_chat_staff_reopened_takes_files_again(parent_client, appointment):
    Appointment.objects.filter(pk=appointment.pk).update(
        status="completed", starts_at=timezone.now() - timedelta(days=30)
    )
    Chat.objects.create(
        appointment=appointment,
        clinic_id=appointment.clinic_id,
        reopened_until=timezone.now() + timedelta(days=2),
    )

    response = upload(parent_client, appointment.pk, files.image_bytes())

    assert response.status_code == HTTPStatus.CREATED


def test_an_unknown_appointment_is_404_like_someone_elses(parent_client):
    response = upload(parent_client, "a6b3a1c4-1111-4222-8333-444455556666", files.image_bytes())

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json()["error"]["code"] == "not_found"


def test_an_upload_needs_the_csrf_token(parent, appointment):
    client = Client(enforce_csrf_checks=True)
    client.force_login(parent)
    session = client.session
    session_stamp(session, parent)
    session_mark_mfa_checked(session)
    session.save()

    response = upload(client, appointment.pk, files.image_bytes())

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json()["error"]["code"] == "forbidden"


@pytest.fixture
def sent(parent_client, appointment, parent):
    """A photo the pet parent sent into the chat."""
    attachment = upload(parent_client, appointment.pk, files.image_bytes()).json()["attachment"]
    send_message(parent, appointment, "", message_type="image", attachments=[attachment["id"]])
    return attachment


@pytest.fixture
def unsent(parent_client, appointment):
    """A photo the pet parent uploaded and has not sent yet."""
    return upload(parent_client, appointment.pk, files.image_bytes()).json()["attachment"]


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("parent", HTTPStatus.OK),
        ("vet", HTTPStatus.OK),
        ("other_parent", HTTPStatus.NOT_FOUND),
        ("other_vet", HTTPStatus.NOT_FOUND),
        ("staff", HTTPStatus.OK),
        (None, HTTPStatus.UNAUTHORIZED),
        *[(r, HTTPStatus.OK if may else HTTPStatus.NOT_FOUND) for r, may in TEAM_MAY.items()],
    ],
)
@pytest.mark.parametrize("which", ["url", "thumbnailUrl"])
def test_who_may_download_what_was_sent(client_for, user_of, sent, role, status, which):
    response = client_for(user_of(role)).get(sent[which])

    assert response.status_code == status
    if status == HTTPStatus.OK:
        assert response["Content-Type"] == "image/jpeg"
    else:
        assert response["Content-Type"] == "application/json"
        assert b"\xff\xd8" not in response.content


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("parent", HTTPStatus.OK),
        ("vet", HTTPStatus.NOT_FOUND),
        ("other_parent", HTTPStatus.NOT_FOUND),
        ("other_vet", HTTPStatus.NOT_FOUND),
        ("staff", HTTPStatus.NOT_FOUND),
        (None, HTTPStatus.UNAUTHORIZED),
    ],
)
def test_an_upload_not_yet_sent_is_its_uploaders_alone(client_for, user_of, unsent, role, status):
    response = client_for(user_of(role)).get(unsent["url"])

    assert response.status_code == status


def test_an_unknown_attachment_is_404(parent_client):
    response = parent_client.get(
        "/api/appointment-chat/attachments/a6b3a1c4-1111-4222-8333-444455556666"
    )

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json()["error"]["code"] == "not_found"


def test_a_download_asks_few_queries(vet_client, sent, django_assert_max_num_queries):
    # session, user, authenticator, attachment, its appointment with the chat's members
    with django_assert_max_num_queries(5):
        response = vet_client.get(sent["url"])
    assert response.status_code == HTTPStatus.OK


def test_staff_downloads_are_audited_and_the_chats_own_are_not(
    client_for, user_of, sent, vet_client
):
    assert vet_client.get(sent["url"]).status_code == HTTPStatus.OK
    assert not AuditEvent.objects.exists()
    assert client_for(user_of("staff")).get(sent["url"]).status_code == HTTPStatus.OK
    (event,) = AuditEvent.objects.all()
    assert (event.action, event.object_id) == ("attachment.download", sent["id"])
    assert event.user == user_of("staff")


def test_a_thumbnail_seen_by_staff_is_audited_too(client_for, staff, sent, vet_client):
    assert vet_client.get(sent["thumbnailUrl"]).status_code == HTTPStatus.OK
    assert not AuditEvent.objects.exists()
    assert client_for(staff).get(sent["thumbnailUrl"] + "?size=1280").status_code == HTTPStatus.OK
    (event,) = AuditEvent.objects.all()
    assert (event.action, event.object_id, event.user) == ("attachment.download", sent["id"], staff)


def test_a_file_whose_message_was_taken_back_is_the_records_alone(
    client_for, parent, vet, staff, appointment, sent
):
    chat = access_chat(user=parent, appointment_id=appointment.pk)
    message_id = Attachment.objects.get(pk=sent["id"]).message_id
    message_retract(chat=chat, user=parent, message_id=message_id)

    for who in (parent, vet):
        assert client_for(who).get(sent["url"]).status_code == HTTPStatus.NOT_FOUND
        assert client_for(who).get(sent["thumbnailUrl"]).status_code == HTTPStatus.NOT_FOUND
    assert client_for(staff).get(sent["url"]).status_code == HTTPStatus.OK
    assert AuditEvent.objects.filter(user=staff, object_id=sent["id"]).count() == 1
