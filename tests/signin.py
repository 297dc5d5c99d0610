"""Signing in as a person does: the password form, then the authenticator code if asked."""

from http import HTTPStatus

from django.http import HttpResponse
from django.test import Client

from accounts.models import User
from tests.factories import PASSWORD, TOTP_SECRET
from tests.totp import totp_code


def sign_in(
    client: Client, user: User, *, login: str | None = None, remember: bool = False
) -> HttpResponse:
    """Returns the last answer, followed to the page the user lands on."""
    form = {"login": login or user.email, "password": PASSWORD}
    if remember:
        form["remember"] = "on"
    response = client.post("/accounts/login/", form, follow=True)
    if response.redirect_chain and "/accounts/2fa/authenticate/" in response.redirect_chain[-1][0]:
        response = client.post(
            "/accounts/2fa/authenticate/", {"code": totp_code(TOTP_SECRET)}, follow=True
        )
    assert response.status_code == HTTPStatus.OK, response.content[:2000]
    return response
