"""`/signin/<token>`: the page a notification email's sign-in link opens.

GET only shows a "Continue to the chat" button: mail scanners and link previews fetch links
before their reader does, and must not spend (or use) them. The button's POST signs in through
allauth's login flow, so its stages apply as after a password: a vet, technician or staff
member is asked for their second factor before any page opens.
"""

import logging
from contextlib import suppress
from http import HTTPStatus

from allauth.account.internal.flows.email_verification import verify_email_indirectly
from allauth.account.internal.flows.login import perform_login, record_authentication
from allauth.account.models import Login
from allauth.core.ratelimit import consume_or_429
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from accounts.signin_links import SigninLinkRefused, chat_path, signin_link_check, signin_link_use

logger = logging.getLogger(__name__)

REFUSED = "This sign-in link has expired or was already used. Sign in below, or ask for a new code."
# How allauth's records of this session's sign-ins name this way in.
METHOD = "signin_link"


def _refused(request: HttpRequest) -> HttpResponseRedirect:
    """The sign-in page, saying why the link did not work (after a POST, as a redirect, so a
    reload does not post again)."""
    messages.error(request, REFUSED)
    return HttpResponseRedirect(reverse("account_login"))


@require_http_methods(["GET", "POST"])
def signin_link(request: HttpRequest, token: str) -> HttpResponse:
    if request.method == "POST":
        # Counted with the password sign-ins from the same client address.
        limited = consume_or_429(request, action="login")
        if limited:
            return limited
    try:
        link = signin_link_check(token=token)
    except SigninLinkRefused:
        return _refused(request)
    user = request.user
    if user.is_authenticated and user.pk == link.user_id:
        # Already signed in as its owner: nothing to sign in, and the link is spent so no one
        # else can follow it later.
        with suppress(SigninLinkRefused):  # spent by a click a moment ago: just as good
            signin_link_use(token=token)
        return HttpResponseRedirect(chat_path(link))
    if user.is_authenticated:
        # Someone else's link on a signed-in browser (a family's shared tablet): never switch
        # accounts behind the signed-in person's back. The link stays unspent for its owner,
        # who can sign out here and follow it again.
        return render(
            request,
            "account/signin_link.html",
            {"other_account": True, "next": request.path},
            status=HTTPStatus.FORBIDDEN,
        )
    if request.method == "GET":
        return render(request, "account/signin_link.html", {"other_account": False})
    try:
        link = signin_link_use(token=token)
    except SigninLinkRefused:
        return _refused(request)
    account = link.user
    record_authentication(request, account, method=METHOD, email=link.email)
    # Following a link sent to the address proves the mailbox, as a sign-in code does.
    verify_email_indirectly(request, account, link.email)
    logger.info(
        "Sign-in link followed for appointment %s",
        link.appointment_id,
        extra={"user_id": account.pk},
    )
    return perform_login(
        request, Login(user=account, email=link.email, redirect_url=chat_path(link))
    )
