"""Signing in as a person does: the password form, then the authenticator code if asked."""

from http import HTTPStatus

from allauth.mfa.models import Authenticator
from django.http import HttpResponse
from django.test import Client

from accounts.middleware import session_mark_mfa_checked, session_stamp
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


def signed_in_client(user: User) -> Client:
    """A client whose session is as a completed sign-in leaves it (second factor passed, for a
    user who has one), without the round trips: for tests about what comes after signing in."""
    client = Client()
    client.force_login(user)
    session = client.session
    session_stamp(session, user)
    if Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        session_mark_mfa_checked(session)
    session.save()
    return client
