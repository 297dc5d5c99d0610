"""Taking a routed chat and keeping a chat with oneself: a page form that goes back where it
came from, or JSON when asked with `Accept: application/json`."""

from http import HTTPStatus
from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from triage.models import ChatRoute
from triage.services import chat_keep, chat_take
from vetchat.errors import DomainError
from vetchat.http import domain_error_response, json_response

JSON = "application/json"


def _wants_json(request: HttpRequest) -> bool:
    return JSON in request.META.get("HTTP_ACCEPT", "")


def _answer(request: HttpRequest, appointment_id: UUID, route: ChatRoute) -> HttpResponse:
    if _wants_json(request):
        return json_response(
            {
                "appointmentId": str(appointment_id),
                "category": route.category,
                "takenBy": str(route.taken_by_id) if route.taken_by_id else None,
                "keptBy": str(route.kept_by_id) if route.kept_by_id else None,
            },
            status=HTTPStatus.OK,
        )
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = reverse("appointment_detail", args=[appointment_id]) + "#chat-end"
    return redirect(back)


@login_required
@require_POST
def take(request: HttpRequest, appointment_id: UUID) -> HttpResponse:
    """Take a chat waiting in one's pool (409 naming who took it first)."""
    try:
        route = chat_take(appointment_id=appointment_id, user=request.user, at=timezone.now())
    except DomainError as error:
        if _wants_json(request):
            return domain_error_response(error)
        raise
    return _answer(request, appointment_id, route)


@login_required
@require_POST
def keep(request: HttpRequest, appointment_id: UUID) -> HttpResponse:
    """ "Keep this chat with me": a vet of the chat answers its later topics themselves."""
    try:
        route = chat_keep(appointment_id=appointment_id, user=request.user, at=timezone.now())
    except DomainError as error:
        if _wants_json(request):
            return domain_error_response(error)
        raise
    return _answer(request, appointment_id, route)
