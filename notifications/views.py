"""The notification pages: a user's preferences, and the email's unsubscribe link."""

from http import HTTPStatus
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt

from accounts.models import User
from notifications.forms import PreferenceForm
from notifications.services import (
    default_delay_seconds,
    email_unsubscribe,
    preference_of,
    preference_save,
)
from notifications.tokens import user_of_unsubscribe_token
from sms.enabled import sms_enabled
from sms.models import Phone
from sms.numbers import shown


def _delay_label(seconds: int) -> str:
    if seconds == 0:
        return "immediately"
    if seconds % 60 == 0:
        minutes = seconds // 60
        return f"after {minutes} minute{'s' if minutes != 1 else ''}"
    return f"after {seconds} seconds"


def _texts_to(user: User) -> str:
    """The number texts go to, as its owner reads it; "" when texts are not on offer."""
    if not sms_enabled():
        return ""
    phone = Phone.objects.filter(user=user).first()
    return shown(phone.number) if phone is not None and phone.texts_allowed else ""


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    default_label = _delay_label(default_delay_seconds(request.user.role))
    texts_to = _texts_to(request.user)
    if request.method == "POST":
        form = PreferenceForm(
            request.POST, user=request.user, default_label=default_label, texts_to=texts_to
        )
        if form.is_valid():
            data = form.cleaned_data
            preference_save(
                user=request.user,
                email_enabled=data["email_enabled"],
                delay=data["delay"],
                quiet_from=data["quiet_from"],
                quiet_until=data["quiet_until"],
                web_push_enabled=data["web_push_enabled"],
                digest_hours=data.get("digest_hours"),
                sms_enabled=data.get("sms_enabled"),
            )
            messages.success(request, "Your notification preferences are saved.")
            return redirect("notification_preferences")
        status = HTTPStatus.BAD_REQUEST
    else:
        form = PreferenceForm(
            initial=PreferenceForm.initial_of(preference_of(request.user)),
            user=request.user,
            default_label=default_label,
            texts_to=texts_to,
        )
        status = HTTPStatus.OK
    context = {
        "form": form,
        "clinic_delay": default_label,
        "time_zone": settings.TIME_ZONE,
        "vapid_public_key": settings.VETCHAT_VAPID_PUBLIC_KEY,
    }
    return render(request, "notifications/preferences.html", context, status=status)


# The token is the authority here, not a session: mail clients send the one-click POST
# (RFC 8058) with no cookie and no CSRF token.
@csrf_exempt
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    user_id = user_of_unsubscribe_token(token)
    if user_id is None:
        return render(
            request,
            "notifications/unsubscribe.html",
            {"invalid": True},
            status=HTTPStatus.NOT_FOUND,
        )
    if request.method == "POST":
        if not email_unsubscribe(user_id=user_id):
            return render(
                request,
                "notifications/unsubscribe.html",
                {"invalid": True},
                status=HTTPStatus.NOT_FOUND,
            )
        return render(request, TEMPLATE, {"done": True})
    # A GET only asks: link scanners open every link in an email.
    return render(request, TEMPLATE, {"token": token})


TEMPLATE = "notifications/unsubscribe.html"


def service_worker(request: HttpRequest) -> HttpResponse:
    """The push service worker, served from the root so that its scope is the whole site."""
    path = finders.find("js/sw.js")
    response = HttpResponse(Path(path).read_bytes(), content_type="text/javascript")
    response["Cache-Control"] = "no-cache"  # browsers must see a new version at once
    return response
