import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

URL = "/api/appointment-chat/attachments"


def upload(client, appointment_id, content: bytes, name: str = "photo.jpg", **extra):
    """POST the file as a browser's form does (the declared type is whatever it claims)."""
    file = SimpleUploadedFile(name, content, content_type=extra.pop("declared", "image/jpeg"))
    return client.post(URL, {"appointmentId": str(appointment_id), "file": file}, **extra)


@pytest.fixture
def parent_client(client_for, parent):
    return client_for(parent)


@pytest.fixture
def vet_client(client_for, vet):
    return client_for(vet)
