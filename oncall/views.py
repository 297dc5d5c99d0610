"""The page a paged clinician opens (from the push, the email or the text) and acknowledges."""

from http import HTTPStatus
from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from appointments.models import Appointment
from oncall.models import Page
from oncall.selectors import page_rows
from oncall.services import PageClosed, page_access, page_acknowledge, page_of_link
from tenancy.zones import clinic_clock
from vetchat.ratelimit import client_ip


@require_GET
def page_link(request: HttpRequest, token: str) -> HttpResponse:
    """An email's or text's signed link: on to the page, through sign-in if need be."""
    page_id = page_of_link(token)
    if page_id is None:
        raise Http404("This link is not valid or has expired. Open the chat from your list.")
    return redirect("oncall_page", page_id=page_id)


@login_required
@require_GET
def page_detail(request: HttpRequest, page_id: UUID) -> HttpResponse:
    page = page_access(user=request.user, page_id=page_id)
    return _render(request, page)


@login_required
@require_POST
def page_acknowledge_view(request: HttpRequest, page_id: UUID) -> HttpResponse:
    try:
        page = page_acknowledge(
            user=request.user,
            page_id=page_id,
            now=timezone.now(),
            ip=client_ip(request),
            user_agent=request.headers.get("user-agent", ""),
        )
    except PageClosed as error:
        page = page_access(user=request.user, page_id=page_id)
        return _render(request, page, error=error.message, status=HTTPStatus.CONFLICT)
    return redirect(reverse("appointment_detail", args=[page.chat.appointment_id]) + "#chat-end")


def _render(
    request: HttpRequest, page: Page, *, error: str = "", status: int = HTTPStatus.OK
) -> HttpResponse:
    appointment = Appointment.objects.select_related("pet", "pet_parent", "clinic").get(
        pk=page.chat.appointment_id
    )
    rows = page_rows(Page.objects.filter(chat_id=page.chat_id, seq=page.seq))
    context = {
        "page": page,
        "appointment": appointment,
        "rows": rows,
        "own": page.person_id == request.user.pk,
        "waiting": page.state == Page.State.WAITING,
        "error": error,
    }
    with clinic_clock(appointment.clinic_id):
        return render(request, "oncall/page.html", context, status=status)
