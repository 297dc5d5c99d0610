"""The pages of pet parents and vets: where each role lands, their appointment lists, and the
appointment page with its chat (which also takes the chat's plain form for browsers without
JavaScript)."""

from contextlib import nullcontext
from http import HTTPStatus
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.models import User
from appointments.access import Action, access_appointment, co_owned_pets, may
from appointments.models import Appointment
from appointments.selectors import (
    AppointmentGroups,
    appointment_groups,
    care_team,
    co_owners_of,
    groups_by_clinic,
    hand_over_candidates,
    pets_with_co_owners,
    team_candidates,
)
from appointments.services import (
    co_owner_accept,
    co_owner_invite,
    co_owner_revoke,
    invitation_of_token,
    team_member_add,
    team_member_remove,
)
from attachments.services import profile_photo_remove, profile_photo_set
from chat.limits import search_allowed, send_allowed
from chat.models import Message
from chat.page import chat_box
from chat.rules import PAYLOAD_FIELDS
from chat.scheduled import reply_send
from chat.search import MAX_QUERY_LENGTH, SEARCHERS, SearchNotPermitted, message_search
from chat.selectors import prescriptions_awaiting_acknowledgement, unread_counts
from chat.services import (
    access_chat,
    appointment_hand_over,
    chat_mark_unread,
    prescription_acknowledge,
)
from chat.shapes import message_url
from clinic.selectors import (
    canned_answers_for_chat,
    clinic_snapshot,
    closed_notice,
    emergency_contacts,
    is_clinician,
    personal_canned_answers,
    shared_canned_answers,
    urgent_alert,
)
from clinic.services import canned_answer_create, canned_answer_delete, canned_answer_update
from notifications.selectors import needs_reply, read_not_answered
from oncall.context import pages_context
from portal.clinic_card import clinic_card
from portal.forms import CannedAnswerForm, PhoneForm, ProfilePhotoForm
from portal.phone import phone_context, phone_saved_message, texts_offered
from portal.scheduled import not_sent_of, scheduled_context
from safety.page import composer_context
from sms.phones import CONSENT_WORDS, phone_save
from tenancy.zones import clinic_clock
from triage.intake import intake_context, intake_form_draft
from triage.pages import route_context
from vetchat.errors import Conflict, DomainError, InvalidInput, NotPermitted
from vetchat.http import error_headers, status_of
from vetchat.middleware import permissions_policy_allowing


def home(request: HttpRequest) -> HttpResponse:
    """Send each role to where its work is."""
    user = request.user
    if not user.is_authenticated:
        return redirect("account_login")
    if user.is_staff:
        return redirect("admin:index")
    if user.is_clinic:
        return redirect("vet_dashboard")
    return redirect("my_appointments")


@login_required
def my_appointments(request: HttpRequest) -> HttpResponse:
    if request.user.role != User.Role.PET_PARENT:
        return redirect("home")
    return render_my_appointments(request)


def render_my_appointments(
    request: HttpRequest,
    *,
    invite: dict[str, Any] | None = None,
    error: DomainError | None = None,
) -> HttpResponse:
    """The pet parent's list, with the co-owners of their pets; `invite` and `error` hand a
    refused invitation back with what was typed."""
    groups = with_unread_counts(appointment_groups(user=request.user), request.user)
    context = {
        "groups": groups,
        # A parent who is a client of several clinics sees their list clinic by clinic.
        "clinic_groups": groups_by_clinic(groups),
        "owned_pets": pets_with_co_owners(owner=request.user),
        "co_owned": co_owned_pets(request.user).select_related("pet__owner"),
        "invite": invite or {},
        "invite_error": error,
        "failed_pet": invite["pet"] if invite and error else None,
    }
    status = status_of(error) if error else 200
    return render(request, "appointments/my_appointments.html", context, status=status)


# Chats listed under "Needs reply" before a link to the rest: the most pressing ones, and a page
# that stays light when a clinic has hundreds waiting.
WAITING_SHOWN = 25


@login_required
def vet_dashboard(request: HttpRequest) -> HttpResponse:
    if not request.user.is_clinic:
        return redirect("home")
    groups = with_unread_counts(appointment_groups(user=request.user), request.user)
    show_all = request.GET.get("waiting") == "all"
    context = {
        "groups": groups,
        # Someone working at several clinics sees which clinic each appointment is at.
        "show_clinic": len(request.user.clinic_ids) > 1,
        "needs_reply": needs_reply(vet=request.user, limit=None if show_all else WAITING_SHOWN),
        "read_not_answered": read_not_answered(
            vet=request.user, now=timezone.now(), limit=None if show_all else WAITING_SHOWN
        ),
        "unacknowledged": prescriptions_awaiting_acknowledgement(vet=request.user),
        "not_sent": not_sent_of(request.user, timezone.now()),
        "now": timezone.now(),
    }
    # One clinic: every time on the page, "Needs reply" too, is on its clock. Several: each
    # appointment row is on its own clinic's clock (the rows' template says so).
    clinic_ids = request.user.clinic_ids
    with clinic_clock(min(clinic_ids)) if len(clinic_ids) == 1 else nullcontext():
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
        "shared": shared_canned_answers(clinic_ids=request.user.clinic_ids),
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
def profile(request: HttpRequest) -> HttpResponse:
    """The user's photo beside their messages: upload one, replace it or remove it. A refused
    file is named beside the field. A pet parent's mobile number and consent to texts too,
    when this deployment sends texts."""
    form = ProfilePhotoForm()
    status = HTTPStatus.OK
    if request.method == "POST" and ("phone" in request.POST or "remove_phone" in request.POST):
        return profile_phone(request)
    if request.method == "POST":
        if "remove" in request.POST:
            profile_photo_remove(user=request.user)
            messages.success(request, "Your photo was removed; your initials are shown instead.")
            return redirect("profile")
        form = ProfilePhotoForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                profile_photo_set(user=request.user, upload=form.cleaned_data["photo"])
            except DomainError as error:
                form.add_error("photo", error.fields.get("file") or error.message)
            else:
                messages.success(request, "Your photo is saved; it shows beside your messages.")
                return redirect("profile")
        status = HTTPStatus.BAD_REQUEST
    context = {"form": form, **phone_context(request.user)}
    return render(request, "account/profile.html", context, status=status)


def profile_phone(request: HttpRequest) -> HttpResponse:
    """Add, change or remove the number, and give or withdraw consent with the words shown."""
    if not texts_offered(request.user):
        return HttpResponse("Texts are not offered.", status=HTTPStatus.FORBIDDEN)
    phone_form = PhoneForm(request.POST)
    removing = "remove_phone" in request.POST
    if removing or phone_form.is_valid():
        try:
            change = phone_save(
                user=request.user,
                number="" if removing else phone_form.cleaned_data["number"],
                consent=not removing and phone_form.cleaned_data["consent"],
                words=CONSENT_WORDS,
                now=timezone.now(),
            )
        except DomainError as error:
            phone_form.add_error("number", error.fields.get("number") or error.message)
        else:
            messages.success(request, phone_saved_message(change))
            return redirect("profile")
    context = {"form": ProfilePhotoForm(), **phone_context(request.user, form=phone_form)}
    return render(request, "account/profile.html", context, status=HTTPStatus.BAD_REQUEST)


@login_required
def appointment_detail(request: HttpRequest, appointment_id: UUID) -> HttpResponse:
    appointment = access_appointment(user=request.user, appointment_id=appointment_id)
    return render_detail(
        request,
        appointment,
        focus=id_param(request, "message"),
        amend=id_param(request, "amend"),
    )


def id_param(request: HttpRequest, name: str) -> UUID | None:
    """A message id in the query: `?message=<id>` opens the chat at that message (a search
    result), `?amend=<id>` opens a vet's composer on an assessment or prescription to amend.
    Anything else is ignored, and the chat opens at its latest messages."""
    try:
        return UUID(request.GET.get(name, ""))
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
    headers: dict[str, str] = {}
    if text.strip():
        try:
            search_allowed(user=request.user)
            page = message_search(user=request.user, text=text, cursor=cursor)
        except DomainError as error:
            context["error"] = error.fields.get("q") or error.message
            status = status_of(error)
            headers = error_headers(error)
        else:
            context["hits"] = [
                {"hit": hit, "url": message_url(hit.appointment_id, hit.message_id)}
                for hit in page.hits
            ]
            context["next_cursor"] = page.next_cursor
            context["searched"] = True
            context["continued"] = cursor is not None
    response = render(request, "search/search.html", context, status=status)
    for name, value in headers.items():
        response[name] = value
    return response


@login_required
@require_POST
def send_message(request: HttpRequest, appointment_id: UUID) -> HttpResponse:
    """The chat's plain form: the same service as the API, its refusals shown on the page."""
    chat = access_chat(user=request.user, appointment_id=appointment_id)
    draft = form_draft(request.POST)
    try:
        send_allowed(user=request.user)
        replied = reply_send(
            chat=chat,
            sender=request.user,
            content=draft["content"],
            message_type=draft["messageType"],
            payload=draft["payload"],
            attachments=draft["attachments"],
            amends=draft["amends"],
            now=timezone.now(),
        )
    except DomainError as error:
        appointment = access_appointment(user=request.user, appointment_id=appointment_id)
        return render_detail(request, appointment, draft=draft, error=error)
    if replied.held is not None:
        return redirect(reverse("appointment_detail", args=[appointment_id]) + "#scheduled")
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
    clinic_id = appointment.clinic_id
    clinic = clinic_snapshot(clinic_id)
    context: dict[str, Any] = {
        "clinic": clinic,
        "clinic_card": clinic_card(clinic),
        "urgent": urgent_alert(clinic_id=clinic_id, chat_id=chat["chat_id"]),
        "emergency_numbers": emergency_contacts(clinic_id),
        "canned_answers": canned_answers_for_chat(user=user, appointment=appointment),
    }
    if chat["is_parent"] and not chat["read_only"]:
        context["closed_notice"] = closed_notice(clinic_id)
        if context["closed_notice"]:
            context["above_composer"] = "clinic/_closed_notice.html"
    return context


@login_required
@require_POST
def mark_unread(request: HttpRequest, appointment_id: UUID, message_id: UUID) -> HttpResponse:
    """ "Mark unread from here" without JavaScript: back to the list, where the chat shows as
    unread."""
    chat = access_chat(user=request.user, appointment_id=appointment_id)
    chat_mark_unread(chat=chat, user=request.user, from_message_id=message_id)
    return redirect("home")


def form_draft(post: Any) -> dict[str, Any]:
    """The composer's fields as the service takes them; kept to hand back if refused."""
    kind = post.get("messageType", Message.Type.TEXT)
    if kind == Message.Type.INTAKE:
        return intake_form_draft(post)  # the intake's category and answers (`triage`)
    fields = PAYLOAD_FIELDS.get(kind, ())
    payload = {f.name: post.get(f"{kind}-{f.name}", "") for f in fields}
    return {
        "content": post.get("content", ""),
        "messageType": kind,
        "payload": payload if any(payload.values()) or any(f.required for f in fields) else None,
        # Ids of uploads made beforehand (`POST /api/appointment-chat/attachments`).
        "attachments": [form_id(value) for value in post.getlist("attachment")],
        # The assessment or prescription this one amends (`?amend=` put it in the form).
        "amends": form_id(post["amends"]) if post.get("amends") else None,
    }


def form_id(value: str) -> UUID:
    """An id the form sent; one that is not an id names nothing, which the rules then say."""
    try:
        return UUID(value)
    except ValueError:
        return UUID(int=0)


def render_detail(
    request: HttpRequest,
    appointment: Appointment,
    *,
    draft: dict[str, Any] | None = None,
    error: DomainError | None = None,
    team_error: DomainError | None = None,
    team_form: dict[str, Any] | None = None,
    focus: UUID | None = None,
    amend: UUID | None = None,
    scheduled_error: tuple[UUID, DomainError] | None = None,
    scheduled_draft: QueryDict | None = None,
) -> HttpResponse:
    """The appointment page; those who take part in its chat get the chat box, its vet (and
    staff) the care team's forms."""
    context: dict[str, Any] = {
        "appointment": appointment,
        "team": care_team(appointment),
        "co_owners": co_owners_of(appointment),
    }
    if may(request.user, appointment, Action.CHAT):
        context["chat"] = chat = chat_box(
            user=request.user,
            appointment_id=appointment.pk,
            draft=draft,
            error=error,
            focus=focus,
            amend=amend,
        )
        context.update(clinic_context(request.user, appointment, chat))
        context.update(
            scheduled_context(request.user, appointment, chat, scheduled_error, scheduled_draft)
        )
        # When the family can expect a reply if they send now (`safety`).
        context.update(
            composer_context(
                user=request.user,
                chat=chat,
                clinic_id=appointment.clinic_id,
                appointment_id=appointment.pk,
                now=timezone.now(),
            )
        )
        # The intake step of a pet parent's composer; a routed chat's pool, Take and Keep.
        context["intake"] = intake_context(
            appointment=appointment, chat=chat, new_topic=request.GET.get("topic") == "new"
        )
        context.update(route_context(request.user, appointment, chat))
    if may(request.user, appointment, Action.MANAGE_TEAM):
        context["manage_team"] = {
            "candidates": team_candidates(appointment),
            "vets": hand_over_candidates(appointment),
            "error": team_error,
            "form": team_form or {},
        }
    context.update(pages_context(request.user, appointment))
    error = error or team_error or (scheduled_error[1] if scheduled_error else None)
    status = status_of(error) if error else 200
    # Every date and time on the page is on the appointment's clinic's clock.
    with clinic_clock(appointment.clinic_id):
        response = render(request, "appointments/detail.html", context, status=status)
    for name, value in (error_headers(error) if error else {}).items():
        response[name] = value
    call = context.get("chat", {}).get("data", {})
    if call.get("mayCall") or call.get("mayAnswer"):
        # Video visits: of all answers, this page alone may ask for the camera and microphone.
        response["Permissions-Policy"] = permissions_policy_allowing("camera", "microphone")
    return response


# Care team ------------------------------------------------------------------------------------


@login_required
@require_POST
def team_add(request: HttpRequest, appointment_id: UUID) -> HttpResponse:
    form = {"user": request.POST.get("user", "")}
    try:
        team_member_add(appointment_id=appointment_id, by=request.user, user_id=form["user"])
    except (InvalidInput, Conflict) as error:
        appointment = access_appointment(user=request.user, appointment_id=appointment_id)
        return render_detail(request, appointment, team_error=error, team_form=form)
    return redirect(reverse("appointment_detail", args=[appointment_id]) + "#care-team")


@login_required
@require_POST
def team_remove(request: HttpRequest, appointment_id: UUID, user_id: UUID) -> HttpResponse:
    team_member_remove(appointment_id=appointment_id, by=request.user, user_id=user_id)
    return redirect(reverse("appointment_detail", args=[appointment_id]) + "#care-team")


@login_required
@require_POST
def hand_over(request: HttpRequest, appointment_id: UUID) -> HttpResponse:
    form = {"to": request.POST.get("to", ""), "keep": request.POST.get("keep") == "on"}
    try:
        appointment_hand_over(
            appointment_id=appointment_id,
            by=request.user,
            to_id=form["to"],
            keep_on_team=form["keep"],
        )
    except (InvalidInput, Conflict) as error:
        appointment = access_appointment(user=request.user, appointment_id=appointment_id)
        return render_detail(request, appointment, team_error=error, team_form=form)
    if may_view(request.user, appointment_id):
        return redirect(reverse("appointment_detail", args=[appointment_id]) + "#chat-end")
    return redirect("home")  # handed over without staying on the team: no longer theirs


def may_view(user: User, appointment_id: UUID) -> bool:
    try:
        access_appointment(user=user, appointment_id=appointment_id)
    except DomainError:
        return False
    return True


# Co-owners ------------------------------------------------------------------------------------


@login_required
@require_POST
def co_owner_invite_view(request: HttpRequest, pet_id: int) -> HttpResponse:
    invite = {"pet": pet_id, "email": request.POST.get("email", "")}
    try:
        invitation, _ = co_owner_invite(pet_id=pet_id, by=request.user, email=invite["email"])
    except (InvalidInput, Conflict) as error:
        return render_my_appointments(request, invite=invite, error=error)
    messages.success(
        request, f"Invitation sent to {invitation.email} to co-own {invitation.pet.name}."
    )
    return redirect(reverse("my_appointments") + f"#pet-{pet_id}")


@login_required
@require_POST
def co_owner_revoke_view(request: HttpRequest, ownership_id: int) -> HttpResponse:
    ownership = co_owner_revoke(ownership_id=ownership_id, by=request.user)
    if ownership.user_id:
        messages.success(request, f"{ownership.email} no longer co-owns {ownership.pet.name}.")
    else:
        messages.success(request, f"The invitation to {ownership.email} is withdrawn.")
    return redirect(reverse("my_appointments") + f"#pet-{ownership.pet_id}")


@login_required
def co_owner_accept_view(request: HttpRequest, token: str) -> HttpResponse:
    """The invitation's link: shows what accepting means, and accepts on POST."""
    error: DomainError | None = None
    invitation = None
    try:
        invitation = invitation_of_token(token)
        if request.method == "POST":
            accepted = co_owner_accept(token=token, user=request.user)
            messages.success(request, f"You now co-own {accepted.pet.name}.")
            return redirect("my_appointments")
    except DomainError as caught:
        error = caught
    status = status_of(error) if error else 200
    return render(
        request,
        "appointments/co_owner_accept.html",
        {"invitation": invitation, "error": error},
        status=status,
    )
