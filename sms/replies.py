"""What is texted back to a text that came in, as TwiML: short, plain, and never more than the
sender already knows (the pets they were texted about, their clinic's phone)."""

from django.conf import settings
from django.http import HttpResponse
from django.urls import reverse

from appointments.links import chat_url, how_to_reach
from appointments.models import Appointment
from tenancy.models import Clinic

PRODUCT_NAME = "vetchat"
# Twilio's limit for one message's body; a longer answer would be refused whole.
MAX_REPLY_CHARS = 1600


def twiml(reply: str) -> HttpResponse:
    """The webhook's answer: a text back when there is one, else an empty <Response/>."""
    from twilio.twiml.messaging_response import MessagingResponse

    response = MessagingResponse()
    if reply:
        response.message(reply[:MAX_REPLY_CHARS])
    return HttpResponse(str(response), content_type="text/xml; charset=utf-8")


def sender_name(clinic: Clinic | None) -> str:
    return clinic.name if clinic is not None else PRODUCT_NAME


def stopped(clinic: Clinic | None) -> str:
    return (
        f"You won't get texts from {sender_name(clinic)} any more. Reply START to get them again."
    )


def started(clinic: Clinic | None) -> str:
    return f"You will get texts from {sender_name(clinic)} again. Reply STOP to stop them."


def start_needs_consent(clinic: Clinic | None) -> str:
    profile = settings.VETCHAT_BASE_URL + reverse("profile")
    return f"To get texts from {sender_name(clinic)}, turn them on in your profile: {profile}"


def help_text(clinic: Clinic | None) -> str:
    about = (
        f"{sender_name(clinic)} texts you when there is a new message about your pet, with a "
        "link to the chat. Reply to a text to answer in the chat. Reply STOP to stop texts."
    )
    if clinic is not None and clinic.phone.strip():
        return f"{about} For help, call {clinic.name} on {clinic.phone.strip()}."
    return f"{about} For help, please contact your vet clinic."


def which_pet(labels: list[str]) -> str:
    options = ", ".join(f"{number} for {label}" for number, label in enumerate(labels, 1))
    return f"Which pet is this about? Reply {options}."


def which_pet_again(labels: list[str]) -> str:
    return "Sorry, that was not one of the choices. " + which_pet(labels)


def posted_in(label: str) -> str:
    return f"Thank you: your message is in the chat about {label}."


def posted_without_answer(label: str) -> str:
    return (
        f"Your messages are in the chat about {label}, the last one we texted you about. "
        "If they were about another pet, please write in that pet's chat."
    )


def no_chat() -> str:
    return (
        "Your text was not posted: we have not texted you about an appointment yet. Please "
        f"write in your pet's chat: {settings.VETCHAT_BASE_URL}"
    )


def no_access(appointment: Appointment) -> str:
    return (
        f"Your text about {appointment.pet.name} was not posted: you no longer take part in "
        f"this chat. {how_to_reach(appointment.clinic)}"
    )


def chat_closed(appointment: Appointment, reason: str) -> str:
    return f"Your text was not posted. {reason} {how_to_reach(appointment.clinic)}"


def refused(appointment: Appointment, reason: str) -> str:
    return (
        f"Your text was not posted: {reason} You can write in the chat instead: "
        f"{chat_url(appointment)}"
    )


def nothing_to_post(appointment: Appointment, files_refused: list[str]) -> str:
    return (
        "Your text was not posted: " + "; ".join(files_refused) + ". You can send files from "
        f"the chat: {chat_url(appointment)}"
    )


def files_not_accepted(appointment: Appointment, files_refused: list[str]) -> str:
    return (
        "Your text was posted, but not " + "; ".join(files_refused) + ". You can send files "
        f"from the chat: {chat_url(appointment)}"
    )
