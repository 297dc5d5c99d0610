"""Every answer tells the browser which features no page may use: camera, microphone, location
and the rest are off, on pages, the API, files and error answers alike. The one exception is the
appointment page of those who can take part in its video visits: camera and microphone, for the
site itself only."""

from http import HTTPStatus

import pytest
from django.test import Client

from appointments.models import Appointment
from tests.attachments import files
from tests.factories import upload_attachment
from vetchat.http import MAX_API_BODY
from vetchat.middleware import permissions_policy

pytestmark = pytest.mark.django_db

OFF = ("camera", "microphone", "geolocation", "payment", "usb")


def features(response) -> dict[str, str]:
    header = response["Permissions-Policy"]
    return dict(item.strip().split("=", 1) for item in header.split(","))


def test_pages_api_files_and_errors_all_carry_it(client_for, parent, appointment):
    client = client_for(parent)
    photo = upload_attachment(parent, appointment, files.image_bytes(), "photo.jpg")
    answers = {
        "page": client.get("/appointments/"),
        "api": client.get("/api/appointment-chat/messages", {"appointmentId": appointment.pk}),
        "file": client.get(f"/api/appointment-chat/attachments/{photo}"),
        "signed out": Client().get("/api/appointments/"),
        "not found": client.get("/no-such-page/"),
        "health": Client().get("/healthz"),
        "redirect": Client().get("/favicon.ico"),
        "too large": client.post(
            "/api/appointment-chat/messages",
            b"x" * (MAX_API_BODY + 1),
            content_type="application/json",
        ),
    }
    assert answers["page"].status_code == HTTPStatus.OK
    assert answers["file"].status_code == HTTPStatus.OK
    assert answers["too large"].status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    for what, response in answers.items():
        for feature in OFF:
            assert features(response)[feature] == "()", (what, feature)


def test_the_policy_is_the_setting(settings):
    settings.PERMISSIONS_POLICY = {"camera": ["self"], "microphone": ["self"], "geolocation": []}
    response = Client().get("/healthz")
    assert response["Permissions-Policy"] == "camera=(self), microphone=(self), geolocation=()"


def test_the_header_is_written_as_browsers_read_it():
    assert permissions_policy({"camera": [], "fullscreen": ["self"]}) == (
        "camera=(), fullscreen=(self)"
    )


def test_the_appointment_page_lets_the_call_use_camera_and_microphone_only(
    client_for, parent, vet, appointment
):
    for user in (parent, vet):
        response = client_for(user).get(f"/appointments/{appointment.pk}/")
        assert response.status_code == HTTPStatus.OK
        allowed = features(response)
        assert allowed["camera"] == allowed["microphone"] == "(self)", user
        for feature in ("geolocation", "payment", "usb", "display-capture"):
            assert allowed[feature] == "()", (user, feature)


def test_an_appointment_page_without_calls_keeps_the_camera_off(client_for, parent, appointment):
    # given a cancelled appointment: its chat is read-only, so nobody calls in it
    Appointment.objects.filter(pk=appointment.pk).update(status=Appointment.Status.CANCELLED)
    response = client_for(parent).get(f"/appointments/{appointment.pk}/")
    assert response.status_code == HTTPStatus.OK
    assert features(response)["camera"] == features(response)["microphone"] == "()"
