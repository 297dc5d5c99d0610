"""What a message sent outside the page (an email's bounce, a text's answer) says to reach the
chat or the clinic."""

from django.conf import settings
from django.urls import reverse

from appointments.models import Appointment
from tenancy.models import Clinic


def how_to_reach(clinic: Clinic) -> str:
    if clinic.phone.strip():
        return f"To reach {clinic.name}, call {clinic.phone.strip()}."
    return f"To reach {clinic.name}, please contact the clinic directly."


def chat_url(appointment: Appointment) -> str:
    return settings.VETCHAT_BASE_URL + reverse("appointment_detail", args=[appointment.pk])
