"""The composer's promise for a chosen category, for the page's script (promise.js)."""

from http import HTTPStatus
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_safe

from appointments.access import Action
from chat.selectors import chat_for
from safety.page import preview_json
from safety.selectors import promise_for
from triage.categories import Category
from vetchat.errors import DomainError, InvalidInput
from vetchat.http import domain_error_response, error_body, json_response


@require_safe
def promise_view(request: HttpRequest, appointment_id: UUID) -> HttpResponse:
    """`GET /safety/chats/<appointment>/promise?category=medical`: when a reply can be expected
    if the family sends now, and the guard's words when that is longer than is safe."""
    if not request.user.is_authenticated:
        body = error_body("not_authenticated", "Sign in to see reply times.")
        return json_response(body, status=HTTPStatus.UNAUTHORIZED)
    try:
        chat = chat_for(user=request.user, appointment_id=appointment_id, action=Action.CHAT)
        category = request.GET.get("category") or None
        if category is not None and category not in Category.values:
            choices = ", ".join(Category.values)
            raise InvalidInput(
                f"No such category: choose one of {choices}.",
                fields={"category": f"Choose one of {choices}."},
            )
    except DomainError as error:
        return domain_error_response(error)
    now = timezone.now()
    answer = promise_for(clinic_id=chat.clinic_id, chat_id=chat.chat_id, at=now, category=category)
    return json_response(preview_json(answer, clinic_id=chat.clinic_id, now=now))
