"""The admin's door is allauth's; who may grant clinic-wide access; accounts staff create."""

import re
from http import HTTPStatus

import pytest
from django.core import mail
from django.test import Client

from accounts.models import User
from tests.factories import PASSWORD, TOTP_SECRET, PetParentFactory, StaffFactory
from tests.queued_email import send_queued_emails
from tests.totp import totp_code

pytestmark = pytest.mark.django_db


def test_the_admin_login_form_sends_you_to_allauths_with_next(client):
    response = client.get("/admin/login/?next=/admin/chat/chat/")
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == "/accounts/login/?next=%2Fadmin%2Fchat%2Fchat%2F"


def test_the_admin_login_form_accepts_no_password(client):
    staff = StaffFactory()
    client.post("/admin/login/?next=/admin/", {"username": staff.email, "password": PASSWORD})
    assert client.get("/admin/").status_code == HTTPStatus.FOUND


def test_the_admin_login_redirect_never_points_off_site(client):
    response = client.get("/admin/login/?next=https://evil.example/")
    assert response.url == "/accounts/login/?next=%2Fadmin%2F"


def test_staff_sign_in_to_the_admin_through_allauth_with_their_code(client):
    staff = StaffFactory(email="desk@example.com")
    start = client.get("/admin/", follow=True)
    assert start.redirect_chain[-1][0] == "/accounts/login/?next=%2Fadmin%2F"
    client.post("/accounts/login/", {"login": staff.email, "password": PASSWORD, "next": "/admin/"})
    assert client.get("/admin/").status_code == HTTPStatus.FOUND  # not without the code
    response = client.post("/accounts/2fa/authenticate/", {"code": totp_code(TOTP_SECRET)})
    assert response.status_code == HTTPStatus.FOUND and response.url == "/admin/"
    assert client.get("/admin/").status_code == HTTPStatus.OK


def change_form(user: User, **changes: object) -> dict:
    form = {
        "email": user.email,
        "name": user.name,
        "role": user.role,
        "image_url": "",
        "is_active": "on",
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
    }
    if user.is_superuser:
        form["is_superuser"] = "on"
    form.update(changes)
    return {key: value for key, value in form.items() if value is not None}


def test_staff_who_are_not_superusers_cannot_grant_roles_or_superuser():
    desk = StaffFactory(is_superuser=False)
    desk.user_permissions.add(*_user_permissions())
    parent = PetParentFactory()
    client = Client()
    client.force_login(desk)

    response = client.post(
        f"/admin/accounts/user/{parent.pk}/change/",
        change_form(parent, role="staff", is_superuser="on", name="Renamed"),
    )
    assert response.status_code == HTTPStatus.FOUND, response.text[:2000]
    parent.refresh_from_db()
    assert parent.name == "Renamed"  # the rest of the form was saved
    assert parent.role == User.Role.PET_PARENT and not parent.is_superuser


def test_staff_who_are_not_superusers_cannot_add_staff():
    desk = StaffFactory(is_superuser=False)
    desk.user_permissions.add(*_user_permissions())
    client = Client()
    client.force_login(desk)
    response = client.post(
        "/admin/accounts/user/add/", {"email": "peer@example.com", "name": "Peer", "role": "staff"}
    )
    assert response.status_code == HTTPStatus.OK
    assert not User.objects.filter(email="peer@example.com").exists()


def test_a_superuser_may_change_a_role(client_for, staff):
    parent = PetParentFactory()
    response = client_for(staff).post(
        f"/admin/accounts/user/{parent.pk}/change/", change_form(parent, role="veterinarian")
    )
    assert response.status_code == HTTPStatus.FOUND, response.text[:2000]
    parent.refresh_from_db()
    assert parent.role == User.Role.VETERINARIAN


def test_an_account_staff_create_gets_a_set_your_password_email(
    client_for, staff, django_capture_on_commit_callbacks
):
    admin = client_for(staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(
            "/admin/accounts/user/add/",
            {"email": "New.Vet@Example.com", "name": "Dr. New", "role": "veterinarian"},
        )
    assert response.status_code == HTTPStatus.FOUND, response.text[:2000]
    vet = User.objects.get(email="new.vet@example.com")
    assert not vet.has_usable_password()
    send_queued_emails()
    assert [m.to for m in mail.outbox] == [["new.vet@example.com"]]
    assert "set your password" in mail.outbox[0].subject.lower()

    # the link lets the owner choose a password, then sign in with it
    link = re.search(r"https?://testserver(/\S+)", mail.outbox[0].body).group(1)
    owner = Client()
    form_page = owner.get(link, follow=True)
    assert form_page.status_code == HTTPStatus.OK
    done = owner.post(
        form_page.redirect_chain[-1][0] if form_page.redirect_chain else link,
        {"password1": "a-long-new-phrase", "password2": "a-long-new-phrase"},
    )
    assert done.status_code == HTTPStatus.FOUND, done.text[:2000]
    vet.refresh_from_db()
    assert vet.check_password("a-long-new-phrase")


def _user_permissions() -> list:
    from django.contrib.auth.models import Permission

    return list(Permission.objects.filter(content_type__app_label="accounts"))
