"""An upload's size, the chat it goes to and the quota of unsent uploads are checked before a
byte of its body is read, and one person's unsent uploads of a day have a quota of bytes."""

from http import HTTPStatus

import pytest

from attachments.models import Attachment
from tests.attachments import files
from tests.attachments.conftest import URL, upload
from tests.factories import AppointmentFactory

MB = 1024 * 1024
MULTIPART = "multipart/form-data; boundary=BoUnDaRy"


class UnreadBody:
    """A request body that notes whether anything read it, and has nothing to give."""

    def __init__(self) -> None:
        self.reads = 0

    def read(self, *args: object) -> bytes:
        self.reads += 1
        return b""

    def readline(self, *args: object) -> bytes:
        return self.read()


def post_without_body(client, url: str, length: int) -> tuple:
    body = UnreadBody()
    response = client.generic(
        "POST", url, b"", content_type=MULTIPART, CONTENT_LENGTH=str(length), **{"wsgi.input": body}
    )
    return response, body


def pdf_of_size(size: int) -> bytes:
    """A PDF kept as sent, padded with a comment to `size` bytes."""
    document = files.pdf_document()
    return document + b"%" + b"0" * (size - len(document) - 2) + b"\n"


@pytest.mark.django_db
def test_an_outsider_is_told_nothing_exists_before_the_file_is_read(client_for):
    # given someone else's appointment, named in the URL
    outsider = client_for(AppointmentFactory().pet.owner)
    others = AppointmentFactory()
    # when they start sending a 10 MB file into it
    response, body = post_without_body(outsider, f"{URL}?appointmentId={others.pk}", 10 * MB)
    # then it does not exist for them, and not a byte of the file was taken
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json()["error"]["code"] == "not_found"
    assert body.reads == 0


def test_an_upload_over_the_quota_is_refused_before_it_is_read(
    parent_client, appointment, settings
):
    settings.VETCHAT_UPLOAD_DAILY_QUOTA_BYTES = 1 * MB
    # given 600 KB uploaded and not sent
    held = upload(parent_client, appointment.pk, pdf_of_size(600 * 1024), "labs.pdf")
    assert held.status_code == HTTPStatus.CREATED, held.content
    # when a 500 KB upload starts
    url = f"{URL}?appointmentId={appointment.pk}"
    response, body = post_without_body(parent_client, url, 500 * 1024)
    # then it is refused at once, saying why and for how long
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    error = response.json()["error"]
    assert error["code"] == "rate_limited"
    assert "have not sent yet come to 1 MB of the 1 MB a day allows" in error["message"]
    assert 86000 < int(response["Retry-After"]) <= 86400
    assert body.reads == 0


def test_a_request_larger_than_any_file_is_refused_before_it_is_read(parent_client, appointment):
    url = f"{URL}?appointmentId={appointment.pk}"
    response, body = post_without_body(parent_client, url, 2048 * MB)
    assert response.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    assert response.json()["error"]["code"] == "too_large"
    assert body.reads == 0


def test_an_upload_without_its_size_is_refused_before_it_is_read(parent_client, appointment):
    body = UnreadBody()
    response = parent_client.generic(
        "POST", f"{URL}?appointmentId={appointment.pk}", b"", content_type=MULTIPART,
        CONTENT_LENGTH="", **{"wsgi.input": body},
    )  # fmt: skip
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Content-Length" in response.json()["error"]["message"]
    assert body.reads == 0


def test_sent_files_free_the_quota(parent_client, appointment, settings):
    settings.VETCHAT_UPLOAD_DAILY_QUOTA_BYTES = 1 * MB
    first = upload(parent_client, appointment.pk, pdf_of_size(600 * 1024), "labs.pdf")
    assert first.status_code == HTTPStatus.CREATED
    # a second 600 KB file would take the unsent uploads over 1 MB
    second = upload(parent_client, appointment.pk, pdf_of_size(600 * 1024), "more-labs.pdf")
    assert second.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert Attachment.objects.count() == 1
    # once the first is sent in a message, it is the record and no longer counts
    sent = parent_client.post(
        "/api/appointment-chat/messages",
        {
            "appointmentId": str(appointment.pk),
            "messageType": "file",
            "attachments": [{"id": first.json()["attachment"]["id"]}],
        },
        content_type="application/json",
    )
    assert sent.status_code == HTTPStatus.CREATED, sent.content
    again = upload(parent_client, appointment.pk, pdf_of_size(600 * 1024), "more-labs.pdf")
    assert again.status_code == HTTPStatus.CREATED


def test_the_quota_defaults_to_500_mb():
    from django.conf import settings

    assert settings.VETCHAT_UPLOAD_DAILY_QUOTA_BYTES == 500 * MB


def test_the_page_names_the_appointment_in_the_url_and_the_form(parent_client, appointment):
    file = files.image_bytes()
    named = f"appointmentId={appointment.pk}"
    response = upload(parent_client, appointment.pk, file, QUERY_STRING=named)
    assert response.status_code == HTTPStatus.CREATED, response.content
    other = AppointmentFactory(pet__owner=appointment.pet.owner)
    elsewhere = f"appointmentId={other.pk}"
    mismatch = upload(parent_client, appointment.pk, file, QUERY_STRING=elsewhere)
    assert mismatch.status_code == HTTPStatus.BAD_REQUEST
    assert mismatch.json()["error"]["fields"]["appointmentId"]


def test_a_read_only_chat_refuses_the_upload_before_it_is_read(parent_client, appointment):
    from appointments.models import Appointment

    Appointment.objects.filter(pk=appointment.pk).update(status="cancelled")
    url = f"{URL}?appointmentId={appointment.pk}"
    response, body = post_without_body(parent_client, url, 5 * MB)
    assert response.status_code == HTTPStatus.CONFLICT
    assert response.json()["error"]["code"] == "chat_read_only"
    assert body.reads == 0
