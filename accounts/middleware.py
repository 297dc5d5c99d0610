"""Sign-in policy: how long a sign-in lasts (idle and absolute limits by role, "remember me"
for pet parents only) and the second factor that clinic accounts must have."""

import time
from collections.abc import Callable
from datetime import timedelta
from http import HTTPStatus

from allauth.mfa.models import Authenticator
from django.contrib.auth import logout
from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpRequest, HttpResponseBase, HttpResponseRedirect, JsonResponse
from django.urls import reverse

from accounts.models import User
from vetchat.http import error_body

SIGNED_IN_AT = "_vetchat_signed_in_at"
ACTIVE_AT = "_vetchat_active_at"
MFA_CHECKED = "_vetchat_mfa_checked"
MFA_ROLES = {User.Role.VETERINARIAN, User.Role.TECHNICIAN, User.Role.STAFF}

# Clinic accounts open every chat of the clinic; an unattended desk must not stay signed in.
IDLE_LIMITS = {
    User.Role.VETERINARIAN: timedelta(hours=12),
    User.Role.TECHNICIAN: timedelta(hours=12),
    User.Role.STAFF: timedelta(hours=12),
    User.Role.PET_PARENT: timedelta(days=14),
}
MAX_SESSION_AGE = timedelta(days=14)
# Activity is written at most this often, so a busy user costs no session write per request.
TOUCH_EVERY = timedelta(minutes=1)


def session_stamp(session: SessionBase, user: User) -> None:
    """Start a sign-in's clocks and set its cookie's life; called when someone signs in, so
    no later request has to write the session for it."""
    now = int(time.time())
    session[SIGNED_IN_AT] = now
    session[ACTIVE_AT] = now
    if user.role != User.Role.PET_PARENT:
        session.set_expiry(0)


def idle_limit(user: User) -> timedelta:
    return IDLE_LIMITS.get(user.role, min(IDLE_LIMITS.values()))


def session_ends_at(session: SessionBase, user: User) -> float:
    """When this sign-in ends unless its person does something (epoch seconds): the idle limit,
    the absolute one or the session's own expiry, whichever comes first. A socket open past it
    closes, as the next request would sign out."""
    now = time.time()
    return min(
        session.get(ACTIVE_AT, now) + idle_limit(user).total_seconds(),
        session.get(SIGNED_IN_AT, now) + MAX_SESSION_AGE.total_seconds(),
        session.get_expiry_date().timestamp(),
    )


def is_activity(request: HttpRequest) -> bool:
    """What a person does: pages and writes. An open tab's background polls (API GETs) are
    not, or a forgotten dashboard would keep a vet signed in forever."""
    return not (request.path.startswith("/api/") and request.method in {"GET", "HEAD"})


class SessionPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        user = request.user
        if user.is_authenticated:
            self.apply(request, user)
        return self.get_response(request)

    def apply(self, request: HttpRequest, user: User) -> None:
        session = request.session
        now = int(time.time())
        signed_in_at = session.get(SIGNED_IN_AT)
        active_at = session.get(ACTIVE_AT)
        if signed_in_at is None or active_at is None:  # signed in some other way
            session_stamp(session, user)
            signed_in_at = active_at = now
        if (
            now - active_at > idle_limit(user).total_seconds()
            or now - signed_in_at > MAX_SESSION_AGE.total_seconds()
        ):
            logout(request)
            return
        if user.role != User.Role.PET_PARENT and not session.get_expire_at_browser_close():
            # "Remember me" is for a pet parent's own device, never a clinic workstation.
            session.set_expiry(0)
        if is_activity(request) and now - active_at >= TOUCH_EVERY.total_seconds():
            session[ACTIVE_AT] = now


def mfa_required(user: User) -> bool:
    return user.role in MFA_ROLES


def mfa_pending(user: User, session: SessionBase) -> bool:
    """A clinic account whose session has not been seen with an authenticator app yet: it may
    reach the account pages only, over HTTP and WebSockets alike."""
    return mfa_required(user) and not session.get(MFA_CHECKED)


def session_mark_mfa_checked(session: SessionBase) -> None:
    session[MFA_CHECKED] = True


class MfaRequiredMiddleware:
    """Vets, technicians and staff reach nothing but the account pages until an authenticator
    app is set up.

    Signing in with a second factor is allauth's; this sees to it that clinic accounts have one.
    The answer is kept in the session, so polls cost no query for it.
    """

    ALLOWED_PREFIXES = ("/accounts/", "/static/", "/healthz", "/readyz")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        user = request.user
        if (
            user.is_authenticated
            and mfa_pending(user, request.session)
            and not request.path.startswith(self.ALLOWED_PREFIXES)
        ):
            if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
                return self.enrol(request)
            session_mark_mfa_checked(request.session)
        return self.get_response(request)

    def enrol(self, request: HttpRequest) -> HttpResponseBase:
        if request.path.startswith("/api/"):
            return JsonResponse(
                error_body(
                    "mfa_required",
                    "Set up an authenticator app at /accounts/2fa/totp/activate before using "
                    "the API.",
                ),
                status=HTTPStatus.FORBIDDEN,
            )
        return HttpResponseRedirect(reverse("mfa_activate_totp"))
