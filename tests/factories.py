import tempfile
from datetime import date, timedelta
from functools import cache
from pathlib import Path

import factory
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import encrypt
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from accounts.models import User
from appointments.models import Appointment, Pet
from tenancy.models import Clinic, ClinicMembership

PASSWORD = "correct-horse-battery"
# Base32 TOTP secret of every factory-made vet and staff member (tests/totp.py computes codes).
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


@cache
def password_hash() -> str:
    """PASSWORD under the real hasher, hashed once per process: a hash takes the better part of
    a second by design, and most tests make several users."""
    return make_password(PASSWORD)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    name = factory.Faker("name")
    role = User.Role.PET_PARENT
    password = factory.LazyFunction(password_hash)

    @factory.post_generation
    def email_verified(self, create: bool, extracted: bool | None, **kwargs: object) -> None:
        """Users have proven their address unless a test says otherwise
        (`email_verified=False`); sign-in requires it."""
        if create:
            EmailAddress.objects.create(
                user=self, email=self.email, primary=True, verified=extracted is not False
            )


class ClinicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Clinic

    name = factory.Sequence(lambda n: f"Clinic {n}")
    slug = factory.Sequence(lambda n: f"clinic-{n}")
    time_zone = "UTC"


def first_clinic() -> Clinic:
    """The clinic every factory-made appointment and clinic member belongs to unless told:
    the one migrations made, or (after a transactional test's flush) a new one."""
    return Clinic.objects.order_by("pk").first() or ClinicFactory(name="Riverside Vets")


class PetParentFactory(UserFactory):
    role = User.Role.PET_PARENT


class ClinicUserFactory(UserFactory):
    """Vets and staff must have an authenticator app; `totp=False` makes one without."""

    @factory.post_generation
    def clinics(
        self, create: bool, extracted: Clinic | list[Clinic] | None, **kwargs: object
    ) -> None:
        """Works at `clinics=` (a clinic or a list), or at the first clinic."""
        if extracted is None:
            extracted = first_clinic()
        if create:
            for clinic in extracted if isinstance(extracted, list) else [extracted]:
                ClinicMembership.objects.create(clinic=clinic, user=self)
            self.__dict__.pop("clinic_ids", None)

    @factory.post_generation
    def totp(self, create: bool, extracted: bool | None, **kwargs: object) -> None:
        if create and extracted is not False:
            Authenticator.objects.create(
                user=self, type=Authenticator.Type.TOTP, data={"secret": encrypt(TOTP_SECRET)}
            )


class VetFactory(ClinicUserFactory):
    role = User.Role.VETERINARIAN
    name = factory.Sequence(lambda n: f"Dr. Vet {n}")


class TechnicianFactory(ClinicUserFactory):
    role = User.Role.TECHNICIAN
    job_title = "Nurse"


class StaffFactory(ClinicUserFactory):
    role = User.Role.STAFF


class PetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Pet

    owner = factory.SubFactory(PetParentFactory)
    name = factory.Faker("first_name")
    species = Pet.Species.DOG
    breed = "Mixed"
    date_of_birth = date(2020, 1, 1)


class AppointmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Appointment

    clinic = factory.LazyFunction(first_clinic)
    pet = factory.SubFactory(PetFactory)
    pet_parent = factory.SelfAttribute("pet.owner")
    veterinarian = factory.SubFactory(VetFactory, clinics=[])
    starts_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=1))
    duration = timedelta(minutes=30)
    status = Appointment.Status.SCHEDULED
    reason = "Check-up"

    @factory.post_generation
    def vet_works_here(self, create: bool, extracted: object, **kwargs: object) -> None:
        """A vet made for the appointment works at its clinic; a vet passed in is left as is."""
        vet = self.veterinarian
        if create and not ClinicMembership.objects.filter(user=vet).exists():
            ClinicMembership.objects.create(clinic=self.clinic, user=vet)
            vet.__dict__.pop("clinic_ids", None)


def send_message(sender: User, appointment: Appointment, content: str = "hello", **options):
    """Send through the real service, as the sender would; returns the stored MessageRow."""
    from chat.services import access_chat, message_send

    chat = access_chat(user=sender, appointment_id=appointment.pk)
    return message_send(chat=chat, sender=sender, content=content, **options).message


def fill_chat_with_every_kind(appointment: Appointment, parent, vet) -> None:
    """Text, assessment, prescriptions (amended, acknowledged), edited and removed messages and
    image, video and file attachments, from both sides."""
    from chat.services import (
        access_chat,
        message_edit,
        message_retract,
        prescription_acknowledge,
    )
    from tests.attachments import files

    send_message(parent, appointment, "Rex has been scratching his left ear since Monday.")
    send_message(
        vet,
        appointment,
        "",
        message_type="assessment",
        payload={"findings": "Red ear canal", "diagnosis": "Otitis externa", "plan": "Drops"},
    )
    first = send_message(
        vet, appointment, "", message_type="prescription", payload={"medication": "Otomax"}
    )
    send_message(
        vet,
        appointment,
        "Twice a day, please.",
        message_type="prescription",
        payload={"medication": "Otomax", "dose": "2 drops", "frequency": "Twice daily"},
        amends=first.id,
    )
    acknowledged = send_message(
        vet, appointment, "", message_type="prescription", payload={"medication": "Cone collar"}
    )
    as_parent = access_chat(user=parent, appointment_id=appointment.pk)
    prescription_acknowledge(chat=as_parent, user=parent, message_id=acknowledged.id)
    with tempfile.TemporaryDirectory() as tmp:
        clip = files.video(Path(tmp), location=False, container="webm")
    for kind, name, content in [
        ("image", "ear.png", files.image_bytes("PNG", size=(400, 300))),
        ("video", "scratching.webm", clip),
        ("file", "lab-results.pdf", files.pdf_document()),
    ]:
        attachment = upload_attachment(parent, appointment, content, name)
        send_message(parent, appointment, "", message_type=kind, attachments=[attachment])

    typo = send_message(parent, appointment, "Thnaks")
    message_edit(chat=as_parent, user=parent, message_id=typo.id, content="Thanks")
    gone = send_message(parent, appointment, "Our door code is 4512")
    message_retract(chat=as_parent, user=parent, message_id=gone.id)


def upload_attachment(sender: User, appointment: Appointment, content: bytes, name: str):
    """Upload a file through the real service, as the upload door would; returns its id."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from attachments.services import attachment_upload

    upload = SimpleUploadedFile(name, content)
    return attachment_upload(appointment=appointment, uploader=sender, upload=upload).pk
