from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from accounts.models import User
from appointments.access import get_visible_appointment
from appointments.selectors import appointment_groups


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
    groups = appointment_groups(user=request.user)
    return render(request, "appointments/my_appointments.html", {"groups": groups})


@login_required
def vet_dashboard(request: HttpRequest) -> HttpResponse:
    if request.user.role != User.Role.VETERINARIAN:
        return redirect("home")
    groups = appointment_groups(user=request.user)
    return render(request, "appointments/vet_dashboard.html", {"groups": groups})


@login_required
def appointment_detail(request: HttpRequest, appointment_id: UUID) -> HttpResponse:
    appointment = get_visible_appointment(user=request.user, appointment_id=appointment_id)
    return render(request, "appointments/detail.html", {"appointment": appointment})
