from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from accounts.models import User
from appointments.access import get_visible_appointment
from appointments.models import Appointment
from appointments.selectors import AppointmentGroups, appointment_groups
from chat.page import chat_context
from chat.selectors import unread_counts


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
    return render(request, "appointments/vet_dashboard.html", {"groups": groups})


@login_required
def appointment_detail(request: HttpRequest, appointment_id: UUID) -> HttpResponse:
    appointment = get_visible_appointment(user=request.user, appointment_id=appointment_id)
    return render_detail(request, appointment)


def render_detail(
    request: HttpRequest,
    appointment: Appointment,
    *,
    draft: str = "",
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    """The appointment page; participants get the chat box, with any draft they sent back."""
    context = {"appointment": appointment, **chat_context(request, appointment, draft, error)}
    return render(request, "appointments/detail.html", context, status=status)


def with_unread_counts(groups: AppointmentGroups, user: User) -> AppointmentGroups:
    """Attach each row's unread count, one query for the whole page."""
    rows = [*groups.today, *groups.upcoming, *groups.past]
    counts = unread_counts(user=user, appointment_ids=[row.pk for row in rows])
    for row in rows:
        row.unread_count = counts.get(row.pk, 0)
    return groups
