"""The pages of pet parents and vets: where each role lands, their appointment lists, and the
appointment page with its chat (which also takes the chat's plain form for browsers without
JavaScript)."""

from http import HTTPStatus
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.models import User
from appointments.access import Action, access_appointment, may
from appointments.models import Appointment
from appointments.selectors import AppointmentGroups, appointment_groups
from chat.limits import send_allowed
from chat.models import Message
from chat.page import chat_box
from chat.rules import PAYLOAD_FIELDS
from chat.search import MAX_QUERY_LENGTH, SEARCHERS, SearchNotPermitted, message_search
from chat.selectors import prescriptions_awaiting_acknowledgement, unread_counts
from chat.services import access_chat, message_send, prescription_acknowledge
from chat.shapes import message_url
from clinic.selectors import (
    canned_answers_for_chat,
    closed_notice,
    emergency_contacts,
    is_clinician,
    personal_canned_answers,
    shared_canned_answers,
    urgent_alert,
)
from clinic.services import canned_answer_create, canned_answer_delete, canned_answer_update
from notifications.selectors import needs_reply
from portal.forms import CannedAnswerForm
from vetchat.errors import DomainError, InvalidInput, NotPermitted
from vetchat.http import error_headers, status_of


def home(request: HttpRequest) -> HttpResponse:
    """Send each role to where its work is."""
    user = request.user
    if not user.is_authenticated:
        return redirect("account_login")
    if user.is_staff:
        return redirect("admin:index")
    if user.role == User.Role.VETERINARIAN:
        return redirect("vet_dashboard")
    return redirect("my_appointments")


@login_required
def my_appointments(request: HttpRequest) -> HttpResponse:
    if request.user.role != User.Role.PET_PARENT:
        return redirect("home")
    groups = with_unread_counts(appointment_groups(user=request.user), request.user)
    return render(request, "appointments/my_appointments.html", {"groups": groups})


@login_required
def vet_dashboard(request: HttpRequest) -> HttpResponse:
    if request.user.role != User.Role.VETERINARIAN:
        return redirect("home")
    groups = with_unread_counts(appointment_groups(user=request.user), request.user)
    context = {
        "groups": groups,
        "needs_reply": needs_reply(vet=request.user),
        "unacknowledged": prescriptions_awaiting_acknowledgement(vet=request.user),
        "now": timezone.now(),
    }
    return render(request, "appointments/vet_dashboard.html", context)


def with_unread_counts(groups: AppointmentGroups, user: User) -> AppointmentGroups:
    """Attach each row's unread count, one query for the whole page."""
    rows = [*groups.today, *groups.upcoming, *groups.past]
    counts = unread_counts(user=user, appointment_ids=[row.pk for row in rows])
    for row in rows:
        row.unread_count = counts.get(row.pk, 0)
    return groups


def _clinician_only(user: User) -> None:
    if not is_clinician(user):
        raise NotPermitted("Only the clinic's vets keep canned answers.")


@login_required
def canned_answers(request: HttpRequest) -> HttpResponse:
    """The clinician's own canned answers, a form to add one, and the clinic's shared ones."""
    _clinician_only(request.user)
    form = CannedAnswerForm()
    status = HTTPStatus.OK
    if request.method == "POST":
        form = CannedAnswerForm(request.POST)
        if form.is_valid() and _saved(
            form, lambda data: canned_answer_create(user=request.user, **data)
        ):
            messages.success(request, "Canned answer added.")
            return redirect("canned_answers")
        status = HTTPStatus.BAD_REQUEST
    context = {
        "form": form,
        "answers": personal_canned_answers(user=request.user),
        "shared": shared_canned_answers(),
    }
    return render(request, "clinic/canned_answers.html", context, status=status)


@login_required
def canned_answer_edit(request: HttpRequest, answer_id: int) -> HttpResponse:
    _clinician_only(request.user)
    answer = get_object_or_404(personal_canned_answers(user=request.user), pk=answer_id)
    form = CannedAnswerForm(initial={"title": answer.title, "body": answer.body})
    status = HTTPStatus.OK
    if request.method == "POST":
        form = CannedAnswerForm(request.POST)
        if form.is_valid() and _saved(
            form,
            lambda data: canned_answer_update(user=request.user, answer_id=answer.pk, **data),
        ):
            messages.success(request, "Canned answer saved.")
            return redirect("canned_answers")
        status = HTTPStatus.BAD_REQUEST
    return render(
        request, "clinic/canned_answer_edit.html", {"form": form, "answer": answer}, status=status
    )


@login_required
@require_POST
def canned_answer_delete_view(request: HttpRequest, answer_id: int) -> HttpResponse:
    _clinician_only(request.user)
    canned_answer_delete(user=request.user, answer_id=answer_id)
    messages.success(request, "Canned answer deleted.")
    return redirect("canned_answers")


def _saved(form: CannedAnswerForm, save: Any) -> bool:
    """Run the service; its refusal of a field goes beside that field, keeping what was typed."""
    try:
        save({"title": form.cleaned_data["title"], "body": form.cleaned_data["body"]})
    except InvalidInput as error:
        for field, text in error.fields.items():
            form.add_error(field if field in form.fields else None, text)
        if not error.fields:
            form.add_error(None, error.message)
        return False
    return True


@login_required
def appointment_detail(request: HttpRequest, appointment_id: UUID) -> HttpResponse:
    appointment = access_appointment(user=request.user, appointment_id=appointment_id)
    return render_detail(request, appointment, focus=message_param(request))


def message_param(request: HttpRequest) -> UUID | None:
    """`?message=<id>`: open the chat at that message (a search result); anything else is
    ignored, and the chat opens at its latest messages."""
    try:
        return UUID(request.GET.get("message", ""))
    except ValueError:
        return None


@login_required
def search(request: HttpRequest) -> HttpResponse:
    """Search one's own chats: the form, and the newest matches with a link to each in its chat.

    A refused query is shown with its reason beside the field, still in it.
    """
    if request.user.role not in SEARCHERS:
        raise SearchNotPermitted
    text = request.GET.get("q", "")
    cursor = request.GET.get("cursor") or None
    context: dict[str, Any] = {"q": text, "max_length": MAX_QUERY_LENGTH}
    status = 200
    if text.strip():
        try:
            page = message_search(user=request.user, text=text, cursor=cursor)
        except DomainError as error:
            context["error"] = error.fields.get("q") or error.message
            status = status_of(error)
        else:
            context["hits"] = [
                {"hit": hit, "url": message_url(hit.appointment_id, hit.message_id)}
                for hit in page.hits
            ]
            context["next_cursor"] = page.next_cursor
            context["searched"] = True
            context["continued"] = cursor is not None
    return render(request, "search/search.html", context, status=status)


@login_required
@require_POST
def send_message(request: HttpRequest, appointment_id: UUID) -> HttpResponse:
    """The chat's plain form: the same service as the API, its refusals shown on the page."""
    chat = access_chat(user=request.user, appointment_id=appointment_id)
    draft = form_draft(request.POST)
    try:
        send_allowed(user=request.user)
        message_send(
            chat=chat,
            sender=request.user,
            content=draft["content"],
            message_type=draft["messageType"],
            payload=draft["payload"],
            attachments=draft["attachments"],
        )
    except DomainError as error:
        appointment = access_appointment(user=request.user, appointment_id=appointment_id)
        return render_detail(request, appointment, draft=draft, error=error)
    return redirect(reverse("appointment_detail", args=[appointment_id]) + "#chat-end")


@login_required
@require_POST
def acknowledge_prescription(
    request: HttpRequest, appointment_id: UUID, message_id: UUID
) -> HttpResponse:
    """The pet parent's "I have read and understood" on a prescription, without JavaScript."""
    chat = access_chat(user=request.user, appointment_id=appointment_id)
    prescription_acknowledge(chat=chat, user=request.user, message_id=message_id)
    return redirect(reverse("appointment_detail", args=[appointment_id]) + f"#m-{message_id}")


def clinic_context(user: User, appointment: Appointment, chat: dict[str, Any]) -> dict[str, Any]:
    """What the clinic adds to the chat: the red-flag banner (both sides), the closed notice
    above a pet parent's composer, the canned answers of a clinician."""
    context: dict[str, Any] = {
        "urgent": urgent_alert(chat_id=chat["chat_id"]),
        "emergency_numbers": emergency_contacts(),
        "canned_answers": canned_answers_for_chat(user=user, appointment=appointment),
    }
    if chat["is_parent"] and not chat["read_only"]:
        context["closed_notice"] = closed_notice()
        if context["closed_notice"]:
            context["above_composer"] = "clinic/_closed_notice.html"
    return context


def form_draft(post: Any) -> dict[str, Any]:
    """The composer's fields as the service takes them; kept to hand back if refused."""
    kind = post.get("messageType", Message.Type.TEXT)
    fields = PAYLOAD_FIELDS.get(kind, ())
    payload = {f.name: post.get(f"{kind}-{f.name}", "") for f in fields}
    return {
        "content": post.get("content", ""),
        "messageType": kind,
        "payload": payload if any(payload.values()) or any(f.required for f in fields) else None,
        # Ids of uploads made beforehand (`POST /api/appointment-chat/attachments`).
        "attachments": attachment_ids(post.getlist("attachment")),
    }


def attachment_ids(values: list[str]) -> list[UUID]:
    """The form's attachment ids; one that is not an id names no upload, which the rules say."""
    ids = []
    for value in values:
        try:
            ids.append(UUID(value))
        except ValueError:
            ids.append(UUID(int=0))
    return ids


def render_detail(
    request: HttpRequest,
    appointment: Appointment,
    *,
    draft: dict[str, Any] | None = None,
    error: DomainError | None = None,
    focus: UUID | None = None,
) -> HttpResponse:
    """The appointment page; those who take part in its chat get the chat box."""
    context: dict[str, Any] = {"appointment": appointment}
    if may(request.user, appointment, Action.CHAT):
        context["chat"] = chat = chat_box(
            user=request.user, appointment_id=appointment.pk, draft=draft, error=error, focus=focus
        )
        context.update(clinic_context(request.user, appointment, chat))
    status = status_of(error) if error else 200
    response = render(request, "appointments/detail.html", context, status=status)
    for name, value in (error_headers(error) if error else {}).items():
        response[name] = value
    return response
