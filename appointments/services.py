"""Changes to who takes part in an appointment's chat: its care team and the pet's co-owners.

Each service checks the acting user through the access module, owns its transaction and, after
commit, tells the apps above who may have lost access (`signals.access_revoked`), so their open
sockets close at once rather than at their next check.
"""

from collections.abc import Collection
from datetime import timedelta
from uuid import UUID

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from appointments.access import Action, access_appointment
from appointments.models import Appointment, AppointmentMember, CoOwnership, Pet
from appointments.selectors import TEAM_ROLES, clinic_colleagues
from appointments.signals import access_revoked
from vetchat.errors import Conflict, InvalidInput, NotFound, NotPermitted

_INVITATION_SALT = "vetchat.appointments.co_owner"


def access_ended(*, appointment_ids: list[UUID], user_ids: list[UUID]) -> None:
    """After commit, these users' open sockets on these appointments' chats ask again."""
    if user_ids:
        transaction.on_commit(
            lambda: access_revoked.send(
                sender=Appointment, appointment_ids=appointment_ids, user_ids=user_ids
            )
        )


def pet_owner_changed(*, pet: Pet, previous_id: UUID) -> None:
    """A pet given to another pet parent takes its appointments, and their chats, along: the
    previous owner's access to them ends at once (its co-owners stay, for the new owner to keep
    or revoke)."""
    appointments = Appointment.objects.filter(pet=pet)
    appointment_ids = list(appointments.values_list("pk", flat=True))
    appointments.update(pet_parent=pet.owner_id, updated_at=timezone.now())
    access_ended(appointment_ids=appointment_ids, user_ids=[previous_id])


# Care team -----------------------------------------------------------------------------------


def _colleague(*, clinic_id: int, user_id: UUID | str, roles: Collection[str]) -> User | None:
    """The chosen account, if it is active, has one of these roles and works at the clinic;
    a care team and a hand-over never reach outside the appointment's clinic."""
    try:
        return clinic_colleagues(clinic_id=clinic_id, roles=roles).filter(pk=user_id).first()
    except (ValidationError, ValueError):  # not an id: nobody
        return None


def team_member_add(*, appointment_id: UUID, by: User, user_id: UUID | str) -> AppointmentMember:
    """Put a vet or technician on the appointment's care team (its vet or staff may)."""
    appointment = access_appointment(
        user=by, appointment_id=appointment_id, action=Action.MANAGE_TEAM
    )
    user = _colleague(clinic_id=appointment.clinic_id, user_id=user_id, roles=TEAM_ROLES)
    if user is None:
        raise InvalidInput(
            "Choose an active veterinarian or technician. Only the people of the appointment's "
            "clinic can join its care team.",
            fields={"user": "Choose someone who works at this clinic."},
        )
    if user.pk == appointment.veterinarian_id:
        raise Conflict(
            "This is the appointment's own veterinarian.", fields={"user": "Already in."}
        )
    try:
        with transaction.atomic():
            return AppointmentMember.objects.create(appointment=appointment, user=user, added_by=by)
    except IntegrityError as error:
        raise Conflict(
            f"{user.display_name} is already on the care team.", fields={"user": "Already in."}
        ) from error


def team_member_remove(*, appointment_id: UUID, by: User, user_id: UUID) -> bool:
    """Take someone off the care team; their open chat sockets close. Returns whether they were
    on it."""
    appointment = access_appointment(
        user=by, appointment_id=appointment_id, action=Action.MANAGE_TEAM
    )
    with transaction.atomic():
        deleted, _ = AppointmentMember.objects.filter(
            appointment=appointment, user_id=user_id
        ).delete()
        if deleted:
            access_ended(appointment_ids=[appointment.pk], user_ids=[user_id])
    return bool(deleted)


def appointment_hand_over(
    *, appointment_id: UUID, by: User, to_id: UUID | str, keep_on_team: bool
) -> tuple[Appointment, User]:
    """Make another vet the appointment's veterinarian; returns it and the vet handed over by.

    From then on the new vet is the one the chat's notifications and "Needs reply" follow. The
    previous vet keeps access only as a care team member when `keep_on_team`; otherwise their
    open sockets close at once. The chat records the hand-over (the chat app's service does,
    as it may import this one but not the reverse).
    """
    appointment = access_appointment(
        user=by, appointment_id=appointment_id, action=Action.MANAGE_TEAM
    )
    to = _colleague(clinic_id=appointment.clinic_id, user_id=to_id, roles=[User.Role.VETERINARIAN])
    if to is None:
        raise InvalidInput(
            "Choose an active veterinarian. Only the vets of the appointment's clinic can take "
            "it over.",
            fields={"to": "Choose a vet who works at this clinic."},
        )
    with transaction.atomic():
        appointment = (
            Appointment.objects.select_for_update()
            .select_related("veterinarian")
            .get(pk=appointment_id)
        )
        previous = appointment.veterinarian
        if to.pk == previous.pk:
            raise Conflict(
                f"{to.display_name} is already this appointment's veterinarian.",
                fields={"to": "Choose another vet."},
            )
        appointment.veterinarian = to
        appointment.save(update_fields=["veterinarian", "updated_at"])
        AppointmentMember.objects.filter(appointment=appointment, user=to).delete()
        if keep_on_team:
            AppointmentMember.objects.get_or_create(
                appointment=appointment, user=previous, defaults={"added_by": by}
            )
        else:
            AppointmentMember.objects.filter(appointment=appointment, user=previous).delete()
            access_ended(appointment_ids=[appointment.pk], user_ids=[previous.pk])
    return appointment, previous


# Co-owners -----------------------------------------------------------------------------------


def _owned_pet(*, by: User, pet_id: int | str) -> Pet:
    """A pet of this owner: co-owners themselves cannot invite or revoke."""
    try:
        pet = Pet.objects.filter(pk=pet_id, owner=by).first()
    except (ValidationError, ValueError):
        pet = None
    if pet is None or not by.is_active:
        raise NotFound("No such pet.")
    return pet


def co_owner_invite(*, pet_id: int | str, by: User, email: str) -> tuple[CoOwnership, str]:
    """Invite someone by email to co-own a pet; returns the invitation and its signed link's
    token. The email is queued in the same transaction, for the job worker to send."""
    pet = _owned_pet(by=by, pet_id=pet_id)
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError as error:
        raise InvalidInput(
            "Enter a valid email address.", fields={"email": "Enter a valid email address."}
        ) from error
    if email == by.email.lower():
        raise InvalidInput(
            "You already own this pet.", fields={"email": "Invite someone else's address."}
        )
    with transaction.atomic():
        try:
            with transaction.atomic():
                invitation = CoOwnership.objects.create(pet=pet, email=email, invited_by=by)
        except IntegrityError as error:
            raise Conflict(
                f"{email} is already invited to co-own {pet.name}.",
                fields={"email": "Already invited."},
            ) from error
        token = signing.dumps(invitation.pk, salt=_INVITATION_SALT)
        _invitation_send(invitation, token)
    return invitation, token


def invitation_url(token: str) -> str:
    return settings.VETCHAT_BASE_URL + reverse("co_owner_accept", args=[token])


def _invitation_send(invitation: CoOwnership, token: str) -> None:
    """Queue the invitation email: the job worker sends it, so an SMTP outage never fails the
    owner's page; its subject's names are made header-safe on the way."""
    from notifications.mail import email_queue  # notifications depends on appointments

    inviter = invitation.invited_by.display_name
    message = EmailMessage(
        subject=f"{inviter} invites you to co-own {invitation.pet.name}",
        body=f"{inviter} invites you to co-own {invitation.pet.name} on "
        f"{settings.VETCHAT_CLINIC_NAME}: you would read and write in its appointment chats "
        f"with the clinic.\n\nSign in or sign up with this address ({invitation.email}), then "
        f"accept here:\n{invitation_url(token)}\n\nThe link expires in "
        f"{settings.VETCHAT_CO_OWNER_INVITE_DAYS} days.",
        to=[invitation.email],
    )
    email_queue(message, kind="co_owner_invitation")


def invitation_of_token(token: str) -> CoOwnership:
    """The pending invitation a link names; NotFound when it is bad, expired, used or revoked."""
    try:
        pk = signing.loads(
            token,
            salt=_INVITATION_SALT,
            max_age=timedelta(days=settings.VETCHAT_CO_OWNER_INVITE_DAYS),
        )
    except signing.SignatureExpired as error:
        raise NotFound("This invitation has expired; ask for a new one.") from error
    except signing.BadSignature as error:
        raise NotFound("This invitation link is not valid.") from error
    invitation = (
        CoOwnership.objects.select_related("pet", "invited_by")
        .filter(pk=pk, user__isnull=True, revoked_at__isnull=True)
        .first()
    )
    if invitation is None:
        raise NotFound("This invitation was withdrawn or already accepted.")
    return invitation


def co_owner_accept(*, token: str, user: User) -> CoOwnership:
    """The invited person, signed in with the invited and verified address, accepts."""
    invitation = invitation_of_token(token)
    if user.role != User.Role.PET_PARENT:
        raise NotPermitted("Only a pet parent's account can co-own a pet.")
    verified = EmailAddress.objects.filter(
        user=user, email__iexact=invitation.email, verified=True
    ).exists()
    if not verified:
        raise NotPermitted(
            f"This invitation is for {invitation.email}: sign in with that address, "
            "once it is verified."
        )
    if invitation.pet.owner_id == user.pk:
        raise Conflict("You already own this pet.")
    with transaction.atomic():
        claimed = CoOwnership.objects.filter(
            pk=invitation.pk, user__isnull=True, revoked_at__isnull=True
        ).update(user=user, accepted_at=timezone.now())
    if not claimed:
        raise NotFound("This invitation was withdrawn or already accepted.")
    invitation.refresh_from_db()
    return invitation


def co_owner_revoke(*, ownership_id: int | str, by: User) -> CoOwnership:
    """The owner withdraws an invitation or ends a co-ownership; access ends at once (open
    pages answer 404 from their next request, open sockets close now)."""
    try:
        ownership = (
            CoOwnership.objects.select_related("pet")
            .filter(pk=ownership_id, pet__owner=by, revoked_at__isnull=True)
            .first()
        )
    except (ValidationError, ValueError):
        ownership = None
    if ownership is None:
        raise NotFound("No such co-owner or invitation.")
    with transaction.atomic():
        ownership.revoked_at = timezone.now()
        ownership.save(update_fields=["revoked_at"])
        if ownership.user_id:
            appointment_ids = list(ownership.pet.appointments.values_list("pk", flat=True))
            access_ended(appointment_ids=appointment_ids, user_ids=[ownership.user_id])
    return ownership
