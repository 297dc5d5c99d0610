"""A name is one line of text: line breaks and control characters are refused wherever a name
is set (sign-up, the admin), with the form's error and what was typed kept, and nothing saved."""

from http import HTTPStatus

import pytest
from django.urls import reverse

from accounts.forms import NAME_REFUSED
from accounts.models import User
from notifications.models import QueuedEmail
from tests.factories import PetParentFactory

pytestmark = pytest.mark.django_db

SIGNUP = {
    "email": "robin@example.com",
    "password1": "a-long-secret-phrase",
    "password2": "a-long-secret-phrase",
}


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("Robin\r\nBcc: eve@example.com", NAME_REFUSED),
        ("Robin\nLee", NAME_REFUSED),
        ("Robin\tLee", NAME_REFUSED),
        ("Robin\x1b[31mLee", NAME_REFUSED),
        ("Robin\u2028Lee", NAME_REFUSED),
        ("Robin\u202eeeL", NAME_REFUSED),
        ("Robin\x00Lee", "Null characters are not allowed."),  # Django's own check
    ],
)
def test_sign_up_refuses_a_name_with_line_breaks_or_control_characters(client, name, error):
    response = client.post(reverse("account_signup"), {**SIGNUP, "name": name})

    assert response.status_code == HTTPStatus.OK
    assert error in response.text
    assert 'value="robin@example.com"' in response.text  # what was typed stays
    assert 'value="Robin' in response.text
    assert not User.objects.filter(email="robin@example.com").exists()
    assert not QueuedEmail.objects.exists()


def test_sign_up_refuses_a_300_character_name(client):
    response = client.post(reverse("account_signup"), {**SIGNUP, "name": "R" * 300})

    assert response.status_code == HTTPStatus.OK
    assert "at most 150 characters" in response.text
    assert "R" * 300 in response.text
    assert not User.objects.filter(email="robin@example.com").exists()


def test_a_name_in_another_script_with_a_joiner_is_welcome(client):
    name = "\u0639\u0644\u06cc\u200c\u0631\u0636\u0627"  # Ali-Reza, the joiner kept
    response = client.post(reverse("account_signup"), {**SIGNUP, "name": name})
    assert response.status_code == HTTPStatus.FOUND
    assert User.objects.get(email="robin@example.com").name == name


def test_the_admin_refuses_a_name_with_a_line_break(client_for, staff):
    admin = client_for(staff)
    added = admin.post(
        "/admin/accounts/user/add/",
        {
            "email": "new.vet@example.com",
            "name": "Dr. New\r\nBcc: eve@example.com",
            "role": "veterinarian",
        },
    )
    assert added.status_code == HTTPStatus.OK
    assert NAME_REFUSED in added.text
    assert not User.objects.filter(email="new.vet@example.com").exists()

    parent = PetParentFactory(name="Alex Morgan")
    changed = admin.post(
        f"/admin/accounts/user/{parent.pk}/change/",
        {
            "email": parent.email,
            "name": "Alex\nMorgan",
            "role": parent.role,
            "image_url": "",
            "is_active": "on",
            "date_joined_0": parent.date_joined.strftime("%Y-%m-%d"),
            "date_joined_1": parent.date_joined.strftime("%H:%M:%S"),
        },
    )
    assert changed.status_code == HTTPStatus.OK
    assert NAME_REFUSED in changed.text
    parent.refresh_from_db()
    assert parent.name == "Alex Morgan"
