"""The participants a care team and co-owners bring, made as the clinic would make them."""

from django.utils import timezone

from appointments.models import Appointment, AppointmentMember, CoOwnership
from tests.factories import PetParentFactory, TechnicianFactory, VetFactory

# Roles beyond the appointment's own pet parent and vet, and what each is to the appointment.
TEAM_ROLES = [
    "technician",  # a nurse on the appointment's care team
    "outside_technician",  # a technician of the clinic, not on this team
    "co_owner",  # invited by the owner, accepted
    "revoked_co_owner",  # was a co-owner until the owner revoked it
    "new_vet",  # the vet the appointment was handed over to
    "previous_vet",  # the vet who handed it over (not kept on the team)
]


def team_member(appointment: Appointment, **fields):
    user = TechnicianFactory(**{"name": "Sam Lee", "job_title": "Nurse", **fields})
    AppointmentMember.objects.create(appointment=appointment, user=user)
    return user


def co_owner(appointment: Appointment, *, revoked: bool = False, **fields):
    user = PetParentFactory(**{"name": "Robin Morgan", **fields})
    CoOwnership.objects.create(
        pet=appointment.pet,
        email=user.email,
        invited_by=appointment.pet.owner,
        user=user,
        accepted_at=timezone.now(),
        revoked_at=timezone.now() if revoked else None,
    )
    return user


def handed_over(appointment: Appointment, *, keep_on_team: bool = False):
    """Hand the appointment from its vet to a new one, through the service; returns both."""
    from chat.services import appointment_hand_over

    previous = appointment.veterinarian
    new = VetFactory(name="Dr. Ravi Patel")
    appointment_hand_over(
        appointment_id=appointment.pk, by=previous, to_id=new.pk, keep_on_team=keep_on_team
    )
    return previous, new


def make_role(role: str, appointment: Appointment):
    if role == "technician":
        return team_member(appointment)
    if role == "outside_technician":
        return TechnicianFactory()
    if role == "co_owner":
        return co_owner(appointment)
    if role == "revoked_co_owner":
        return co_owner(appointment, revoked=True)
    if role == "new_vet":
        return handed_over(appointment)[1]
    if role == "previous_vet":
        return handed_over(appointment)[0]
    raise ValueError(role)
