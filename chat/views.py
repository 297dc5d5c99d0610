"""Sending from the chat box's plain form, for browsers without JavaScript."""

from http import HTTPStatus
from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST
from rest_framework.exceptions import ValidationError

from appointments.access import get_visible_appointment
from appointments.views import render_detail
from chat.api import SendMessageInput
from chat.flows import load_chat
from chat.services import message_send
from vetchat.api import ApplicationError


@login_required
@require_POST
def send_message(request: HttpRequest, appointment_id: UUID) -> HttpResponse:
    """The composer's plain form post, for browsers without JavaScript."""
    appointment = get_visible_appointment(user=request.user, appointment_id=appointment_id)
    draft = request.POST.get("content", "")
    try:
        data = SendMessageInput(
            data={"appointmentId": str(appointment.pk), "content": draft, "messageType": "text"}
        )
        data.is_valid(raise_exception=True)
        _, chat = load_chat(request.user, appointment.pk)
        message_send(chat=chat, sender=request.user, content=data.validated_data["content"])
    except ValidationError as error:
        detail = error.detail
        message = " ".join(str(m) for m in detail.get("content", ["Check the message."]))
        return render_detail(request, appointment, draft=draft, error=message, status=400)
    except ApplicationError as error:
        status = HTTPStatus(error.status)
        return render_detail(request, appointment, draft=draft, error=error.message, status=status)
    return redirect(reverse("appointment_detail", args=[appointment.pk]) + "#chat-end")
