"""A person's photo beside their messages: uploaded on their profile page through the uploads'
pipeline, shown to the people in their chats, replaced or removed at will."""

import io
from http import HTTPStatus

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from attachments.models import ProfilePhoto
from attachments.storage import attachment_storage
from tests.attachments import files
from tests.factories import send_message

pytestmark = pytest.mark.django_db


def post_photo(client, content: bytes, name: str = "me.jpg"):
    file = SimpleUploadedFile(name, content, content_type="image/jpeg")
    return client.post("/profile/", {"photo": file})


def test_a_photo_becomes_the_sender_image_upright_square_and_without_its_location(
    client_for, parent, vet, appointment
):
    response = post_photo(client_for(parent), files.rotated_jpeg())
    assert response.status_code == HTTPStatus.FOUND and response["Location"] == "/profile/"

    parent.refresh_from_db()
    assert parent.image_url.startswith("/profile-photos/") and parent.image_url.endswith(".jpg")
    # the vet, in the chat with this parent, sees the photo beside the parent's messages
    send_message(parent, appointment, "Hello")
    messages = client_for(vet).get(
        "/api/appointment-chat/messages", {"appointmentId": str(appointment.pk)}
    )
    assert messages.json()["messages"][0]["senderImage"] == parent.image_url
    served = client_for(vet).get(parent.image_url)
    assert served.status_code == HTTPStatus.OK
    assert served["Content-Type"] == "image/jpeg"
    assert served["X-Content-Type-Options"] == "nosniff"
    picture = Image.open(io.BytesIO(b"".join(served.streaming_content)))
    assert picture.size == (160, 160)
    assert not picture.getexif()  # no GPS, no camera
    # upright: the black half of the portrait photo is on top
    assert picture.convert("L").getpixel((80, 20)) < 60
    assert picture.convert("L").getpixel((80, 140)) > 200


def test_a_new_photo_replaces_the_old_one_whose_bytes_are_deleted(
    client_for, parent, django_capture_on_commit_callbacks
):
    client = client_for(parent)
    with django_capture_on_commit_callbacks(execute=True):
        post_photo(client, files.image_bytes("PNG", size=(300, 200), color="blue"), "a.png")
    first = ProfilePhoto.objects.get(user=parent).storage_key
    with django_capture_on_commit_callbacks(execute=True):
        post_photo(client, files.image_bytes("JPEG", size=(200, 300), color="green"))

    second = ProfilePhoto.objects.get(user=parent).storage_key
    assert second != first
    assert not attachment_storage().exists(first)
    assert attachment_storage().exists(second)
    parent.refresh_from_db()
    assert client.get(parent.image_url).status_code == HTTPStatus.OK


def test_removing_the_photo_shows_the_initials_again(
    client_for, parent, django_capture_on_commit_callbacks
):
    client = client_for(parent)
    post_photo(client, files.jpeg_with_gps())
    parent.refresh_from_db()
    url, key = parent.image_url, ProfilePhoto.objects.get(user=parent).storage_key

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/profile/", {"remove": "1"})

    assert response.status_code == HTTPStatus.FOUND
    parent.refresh_from_db()
    assert parent.image_url == ""
    assert client.get(url).status_code == HTTPStatus.NOT_FOUND
    assert not attachment_storage().exists(key)
    page = client.get("/profile/").text
    assert "Your initials show beside your messages" in page and ">AM</span>" in page


@pytest.mark.parametrize(
    ("content", "name", "error"),
    [
        (files.pdf_document(), "me.jpg", "Choose a photo: JPEG, PNG, WebP, GIF or HEIC."),
        (files.elf_binary(), "me.png", "Not allowed: application/x-"),
        (files.truncated_jpeg(), "me.jpg", "The image could not be read"),
        (b"", "me.jpg", "The file is empty."),
    ],
)
def test_a_refused_file_is_named_beside_the_field_and_nothing_is_kept(
    client_for, parent, content, name, error
):
    response = post_photo(client_for(parent), content, name)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert error in response.text
    assert 'aria-invalid="true"' in response.text
    assert 'aria-describedby="id_photo_helptext id_photo_error"' in response.text
    assert not ProfilePhoto.objects.exists()
    parent.refresh_from_db()
    assert parent.image_url == ""


def test_sending_no_file_asks_for_one(client_for, parent):
    response = client_for(parent).post("/profile/", {})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Choose a photo to upload." in response.text


def test_photos_are_for_signed_in_people_and_unknown_ones_are_404(client_for, parent):
    post_photo(client_for(parent), files.image_bytes())
    parent.refresh_from_db()

    anonymous = client_for(None).get(parent.image_url)
    assert anonymous.status_code == HTTPStatus.FOUND
    assert anonymous["Location"].startswith("/accounts/login/")
    unknown = client_for(parent).get("/profile-photos/" + "0" * 32 + ".jpg")
    assert unknown.status_code == HTTPStatus.NOT_FOUND


def test_the_header_links_the_name_to_the_profile_page(client_for, vet):
    page = client_for(vet).get("/profile/")
    assert page.status_code == HTTPStatus.OK
    assert 'class="whoami" href="/profile/"' in page.text
    assert 'aria-current="page"' in page.text


def test_staff_take_a_photo_down_in_the_admin_as_its_owner_would(
    client_for, parent, vet, staff, django_capture_on_commit_callbacks
):
    post_photo(client_for(parent), files.image_bytes())
    post_photo(client_for(vet), files.image_bytes(color="green"))
    photo = ProfilePhoto.objects.get(user=parent)
    admin = client_for(staff)
    listed = admin.get("/admin/attachments/profilephoto/").text
    assert parent.email in listed and vet.email in listed
    assert admin.get("/admin/attachments/profilephoto/add/").status_code == HTTPStatus.FORBIDDEN

    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(
            f"/admin/attachments/profilephoto/{photo.pk}/delete/", {"post": "yes"}
        )

    assert response.status_code == HTTPStatus.FOUND
    parent.refresh_from_db()
    assert parent.image_url == ""
    assert not attachment_storage().exists(photo.storage_key)
    assert list(ProfilePhoto.objects.values_list("user", flat=True)) == [vet.pk]


def test_staff_take_several_photos_down_at_once(
    client_for, parent, vet, staff, django_capture_on_commit_callbacks
):
    post_photo(client_for(parent), files.image_bytes())
    post_photo(client_for(vet), files.image_bytes(color="green"))
    keys = list(ProfilePhoto.objects.values_list("storage_key", flat=True))
    chosen = [str(pk) for pk in ProfilePhoto.objects.values_list("pk", flat=True)]

    with django_capture_on_commit_callbacks(execute=True):
        client_for(staff).post(
            "/admin/attachments/profilephoto/",
            {"action": "delete_selected", "_selected_action": chosen, "post": "yes"},
        )

    assert not ProfilePhoto.objects.exists()
    assert not any(attachment_storage().exists(key) for key in keys)
    parent.refresh_from_db()
    vet.refresh_from_db()
    assert parent.image_url == vet.image_url == ""
