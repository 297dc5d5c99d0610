import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import encrypt
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Permission
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from appointments.models import Appointment, AppointmentMember, CoOwnership, Pet
from chat.services import access_chat, message_send
from clinic.models import CannedAnswer, Closure, EmergencyNumber, OpeningSpan
from clinic.selectors import forget_clinic_snapshot
from oncall.models import EmergencyContact, OnCallShift
from sms.models import ConsentEvent, Phone
from sms.phones import CONSENT_WORDS
from tenancy.models import MEMBER_ROLES, Clinic, ClinicMembership
from triage.models import Pool

DEMO_PASSWORD = "vetchat-demo"  # noqa: S105 - published demo sign-in, see README
# Texted instead of emailed when texts are on (`make run`: through the local Twilio stand-in).
DEMO_TEXTED_PARENT = "parent@example.com"
DEMO_TEXTED_NUMBER = "+12025550123"
# The demo clinic accounts' authenticator-app secret (vets, nurse, admins), published like the
# password: `python manage.py demo_totp` prints the current code.
DEMO_TOTP_SECRET = "VETCHATDEMOVETCHATDEMOVETCHATDEM"  # noqa: S105
DEMO_USERS = [
    ("parent@example.com", "Alex Morgan", User.Role.PET_PARENT),
    ("parent2@example.com", "Sam Rivera", User.Role.PET_PARENT),
    ("vet@example.com", "Dr. Jane Foster", User.Role.VETERINARIAN),
    ("vet2@example.com", "Dr. Omar Haddad", User.Role.VETERINARIAN),
    ("nurse@example.com", "Sam Lee", User.Role.TECHNICIAN),
    ("coowner@example.com", "Robin Morgan", User.Role.PET_PARENT),
    ("admin@example.com", "Clinic Admin", User.Role.STAFF),
    ("vet3@example.com", "Dr. Maya Chen", User.Role.VETERINARIAN),
    ("parent3@example.com", "Jordan Blake", User.Role.PET_PARENT),
    ("clinicadmin@example.com", "Harbor Street Admin", User.Role.STAFF),
]
DEMO_JOB_TITLES = {"nurse@example.com": "Nurse"}
# The platform's own admin: every clinic. A clinic's admin is staff of their clinic alone.
DEMO_SUPERUSERS = {"admin@example.com"}
RIVERSIDE, HARBOR = "riverside", "harbor-street"
# clinic member: the demo clinics they work at (everyone else on the clinic side: Riverside)
DEMO_MEMBERSHIPS = {
    "vet3@example.com": [HARBOR],
    "clinicadmin@example.com": [HARBOR],
}
# What a clinic's admin may do in the admin, which shows them their own clinic's rows only:
# read everything of the clinic, and keep its appointments, team and settings. Adding or
# removing clinics, and the job queue, stay with the platform's superusers.
CLINIC_ADMIN_APPS = (
    "accounts",
    "appointments",
    "attachments",
    "audit",
    "chat",
    "clinic",
    "notifications",
    "tenancy",
    "transcripts",
    "triage",
    "oncall",
    "safety",
    "metrics",
)
CLINIC_ADMIN_WITHHELD = ("add_clinic", "delete_clinic")  # of tenancy
# The pools a pet parent's intake routes chats to (`triage`, made with each clinic): members.
DEMO_POOLS = [
    (RIVERSIDE, "Vets", ["vet@example.com", "vet2@example.com"]),
    (RIVERSIDE, "Nursing", ["nurse@example.com"]),
    (RIVERSIDE, "Front desk", ["nurse@example.com"]),
    (HARBOR, "Vets", ["vet3@example.com"]),
    (HARBOR, "Nursing", ["vet3@example.com"]),
    (HARBOR, "Front desk", ["vet3@example.com"]),
]
# Who is on call, at which level (1 is paged first), from a day before the seed for a month;
# then each clinic's emergency list, paged last.
DEMO_ON_CALL = [
    (RIVERSIDE, 1, "vet2@example.com"),
    (RIVERSIDE, 2, "vet@example.com"),
    (HARBOR, 1, "vet3@example.com"),
]
DEMO_EMERGENCY_LISTS = [(RIVERSIDE, "vet@example.com"), (HARBOR, "vet3@example.com")]
# appointment key: the clinic members on its care team besides its vet
DEMO_TEAMS = {"biscuit-today": ["nurse@example.com"]}
# pet: the people who co-own it with its owner
DEMO_CO_OWNERS = {"Biscuit": ["coowner@example.com"]}
DEMO_PETS = [
    # owner, name, species, breed, date of birth
    ("parent@example.com", "Biscuit", Pet.Species.DOG, "Beagle", date(2019, 4, 2)),
    ("parent@example.com", "Miso", Pet.Species.CAT, "British Shorthair", date(2021, 9, 15)),
    ("parent2@example.com", "Pepper", Pet.Species.RABBIT, "Holland Lop", date(2023, 2, 8)),
    ("parent3@example.com", "Nori", Pet.Species.CAT, "Maine Coon", date(2020, 6, 21)),
]
DEMO_APPOINTMENTS = [
    # key, clinic, pet, vet, days from the clinic's today, clinic time, status, reason
    (
        "biscuit-today",
        RIVERSIDE,
        "Biscuit",
        "vet@example.com",
        0,
        time(9, 30),
        Appointment.Status.SCHEDULED,
        "Limping on the front left leg since the weekend.",
    ),
    (
        "miso-upcoming",
        RIVERSIDE,
        "Miso",
        "vet@example.com",
        3,
        time(11, 0),
        Appointment.Status.SCHEDULED,
        "Annual vaccination and check-up.",
    ),
    (
        "biscuit-past",
        RIVERSIDE,
        "Biscuit",
        "vet@example.com",
        -3,  # completed, and still open for follow-up questions
        time(15, 0),
        Appointment.Status.COMPLETED,
        "Ear infection follow-up.",
    ),
    (
        "pepper-tomorrow",
        RIVERSIDE,
        "Pepper",
        "vet2@example.com",
        1,
        time(14, 0),
        Appointment.Status.SCHEDULED,
        "Teeth check.",
    ),
    (
        "miso-harbor",  # Alex's cat, seen at the second clinic too
        HARBOR,
        "Miso",
        "vet3@example.com",
        1,
        time(10, 0),
        Appointment.Status.SCHEDULED,
        "Second opinion on Miso's itchy skin.",
    ),
    (
        "nori-today",
        HARBOR,
        "Nori",
        "vet3@example.com",
        0,
        time(16, 30),
        Appointment.Status.SCHEDULED,
        "Not eating much for two days.",
    ),
]
DEMO_CONVERSATIONS = {
    # appointment key: (sender, message type, content, payload)
    "biscuit-today": [
        ("parent@example.com", "text", "Hi! Biscuit is still limping this morning.", None),
        (
            "vet@example.com",
            "text",
            "Thanks for letting me know. Is he putting any weight on the leg?",
            None,
        ),
        ("parent@example.com", "text", "A little, but he lifts it after a few steps.", None),
        (
            "nurse@example.com",
            "text",
            "Hi, I'm Sam, the nurse on Dr. Foster's team. Keep him resting until you come in.",
            None,
        ),
        ("coowner@example.com", "text", "Will do. I'll bring him in at 9:30.", None),
    ],
    "biscuit-past": [
        (
            "vet@example.com",
            "assessment",
            "The ear canal is clear; the infection has resolved.",
            None,
        ),
        (
            "vet@example.com",
            "prescription",
            "",
            {
                "medication": "Otomax ear drops",
                "dose": "4 drops",
                "frequency": "once a day",
                "duration": "5 more days",
                "notes": "Finish the course even if the ear looks fine.",
            },
        ),
        ("parent@example.com", "text", "Great news, thank you!", None),
    ],
    "miso-harbor": [
        (
            "parent@example.com",
            "text",
            "Hello Dr. Chen, Miso keeps scratching her neck. Should I bring her last results?",
            None,
        ),
        (
            "vet3@example.com",
            "text",
            "Yes please, bring them along. See you tomorrow at 10.",
            None,
        ),
    ],
}


@dataclass(frozen=True)
class DemoClinic:
    name: str
    phone: str
    address: str
    colour: str
    # weekday (0 = Monday): (opens, closes) spans, in the clinic's own time zone
    hours: dict[int, list[tuple[time, time]]]
    emergency_numbers: list[tuple[str, str]]
    canned_answers: list[tuple[str, str]]


DEMO_CANNED_ANSWERS = [
    (
        "Fasting before surgery",
        "Hi {parent}, please give {pet} no food after 10 pm the night before; water is fine "
        "until the morning. See you soon, {vet}",
    ),
    (
        "Results are normal",
        "Good news, {parent}: {pet}'s results are all within the normal range. No change to "
        "the plan for now.",
    ),
    (
        "Please call us",
        "This is easier to talk through on the phone: please call us on {clinic_phone} and "
        "mention {pet}'s appointment.",
    ),
]
DEMO_CLINICS = {
    # The first clinic keeps the zone it was made with (DJANGO_TIME_ZONE when migrating).
    RIVERSIDE: DemoClinic(
        name="Riverside Vets",
        phone="01632 960 001",
        address="4 Mill Lane, Riverside RV1 2AB",
        colour="#2e7d32",
        # weekdays 08:00-12:30 and 13:30-18:00, Saturday morning, closed on Sunday
        hours={
            **{day: [(time(8), time(12, 30)), (time(13, 30), time(18))] for day in range(5)},
            5: [(time(9), time(12))],
        },
        emergency_numbers=[
            ("Riverside Vets, in opening hours", "01632 960 001"),
            ("City Animal Emergency Hospital, day and night", "01632 960 999"),
        ],
        canned_answers=DEMO_CANNED_ANSWERS,
    ),
    HARBOR: DemoClinic(
        name="Harbor Street Animal Hospital",
        phone="(212) 555-0142",
        address="120 Harbor Street, New York, NY 10004",
        colour="#1565c0",
        # weekdays 07:00-19:00 without a break, Saturday and Sunday late mornings
        hours={
            **{day: [(time(7), time(19))] for day in range(5)},
            5: [(time(10), time(14))],
            6: [(time(10), time(14))],
        },
        emergency_numbers=[
            ("Harbor Street Animal Hospital, in opening hours", "(212) 555-0142"),
            ("Manhattan Veterinary Emergency Center, 24 hours", "(212) 555-0199"),
        ],
        canned_answers=[
            (
                "Bring the records",
                "Hi {parent}, please bring {pet}'s vaccination records and any recent results "
                "to the visit. Questions before then: {clinic_phone}.",
            ),
        ],
    ),
}
# The second clinic's zone: far from the first's, whichever that is.
HARBOR_ZONES = ("America/New_York", "Australia/Sydney")
DEMO_NAMESPACE = uuid.UUID("6f1c2a7e-3c1b-4a53-9d4e-2b8f0c4f7a10")


def demo_appointment_id(key: str) -> uuid.UUID:
    """Stable ids, so running the command again updates rather than duplicates."""
    return uuid.uuid5(DEMO_NAMESPACE, key)


class Command(BaseCommand):
    help = (
        "Create or refresh the two demo clinics: their sign-ins, pets and appointments, a care "
        "team and a co-owner, each clinic's opening hours (in its own time zone), emergency "
        "numbers and shared canned answers."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="Seed even with debug off, or a database holding users that are not demo users.",
        )

    def handle(self, *args: object, force: bool = False, **options: object) -> None:
        # Debug off is how production runs: demo sign-ins with a published password and
        # authenticator secret must not appear there by a slip of the keyboard.
        if not settings.DEBUG and not force:
            raise CommandError(
                "DJANGO_DEBUG is off, so this may be a production site; refusing to add demo "
                "sign-ins with a published password. Use --force to seed anyway."
            )
        demo_emails = [email for email, _, _ in DEMO_USERS]
        others = User.objects.exclude(email__in=demo_emails).count()
        if others and not force:
            raise CommandError(
                f"The database holds {others} user(s) that are not demo users; refusing to add "
                "demo sign-ins with a published password. Use --force to seed anyway."
            )
        # One hash for the one published password: each takes the better part of a second.
        password = make_password(DEMO_PASSWORD)
        with transaction.atomic():
            clinics = self._clinics()
            users = {
                email: self._user(email, name, role, password) for email, name, role in DEMO_USERS
            }
            for email, user in users.items():
                if user.role in MEMBER_ROLES:
                    for key in DEMO_MEMBERSHIPS.get(email, [RIVERSIDE]):
                        ClinicMembership.objects.get_or_create(clinic=clinics[key], user=user)
            self._clinic_admin_permissions(
                [u for e, u in users.items() if u.is_staff and e not in DEMO_SUPERUSERS]
            )
            for key, pool_name, emails in DEMO_POOLS:
                pool, _ = Pool.objects.get_or_create(clinic=clinics[key], name=pool_name)
                pool.members.add(*(users[email] for email in emails))
            now = timezone.now()
            for key, level, email in DEMO_ON_CALL:
                OnCallShift.objects.update_or_create(
                    clinic=clinics[key],
                    clinician=users[email],
                    level=level,
                    defaults={
                        "starts_at": now - timedelta(days=1),
                        "ends_at": now + timedelta(days=30),
                    },
                )
            for key, email in DEMO_EMERGENCY_LISTS:
                EmergencyContact.objects.get_or_create(clinic=clinics[key], clinician=users[email])
            pets = {
                name: self._pet(users[owner], name, species, breed, born)
                for owner, name, species, breed, born in DEMO_PETS
            }
            for pet_name, emails in DEMO_CO_OWNERS.items():
                for email in emails:
                    CoOwnership.objects.update_or_create(
                        pet=pets[pet_name],
                        email=email,
                        revoked_at=None,
                        defaults={
                            "invited_by": pets[pet_name].owner,
                            "user": users[email],
                            "accepted_at": timezone.now(),
                        },
                    )
            for key, clinic_key, pet_name, vet, days, at, status, reason in DEMO_APPOINTMENTS:
                clinic = clinics[clinic_key]
                pet = pets[pet_name]
                # A clinic's appointments are booked in its own zone, from its own today.
                day = timezone.localdate(timezone=clinic.zone) + timedelta(days=days)
                appointment, _ = Appointment.objects.update_or_create(
                    id=demo_appointment_id(key),
                    defaults={
                        "clinic": clinic,
                        "pet": pet,
                        "pet_parent": pet.owner,
                        "veterinarian": users[vet],
                        "starts_at": datetime.combine(day, at, tzinfo=clinic.zone),
                        "status": status,
                        "reason": reason,
                    },
                )
                appointment.full_clean()
                for member in DEMO_TEAMS.get(key, []):
                    AppointmentMember.objects.get_or_create(
                        appointment=appointment,
                        user=users[member],
                        defaults={"added_by": users[vet]},
                    )
                self._conversation(appointment, DEMO_CONVERSATIONS.get(key, []), users)
            self._texts_consented(users[DEMO_TEXTED_PARENT])
        # After the conversations: they were written in opening hours, with no automatic reply.
        for key, clinic in clinics.items():
            self._clinic_settings(clinic, DEMO_CLINICS[key])
        forget_clinic_snapshot()

        self.stdout.write(self.style.SUCCESS("Demo clinics ready. Sign in with:"))
        for email, name, role in DEMO_USERS:
            where = ", ".join(
                DEMO_CLINICS[key].name for key in DEMO_MEMBERSHIPS.get(email, [RIVERSIDE])
            )
            if role == User.Role.PET_PARENT:
                where = "a client"
            elif email in DEMO_SUPERUSERS:
                where = "every clinic"
            self.stdout.write(f"  {email:<24} {DEMO_PASSWORD}   ({role.label}: {name}; {where})")
        self.stdout.write(
            "Vets, the nurse and the admins also need a code: python manage.py demo_totp "
            f"(or add the secret {DEMO_TOTP_SECRET} to an authenticator app)."
        )

    def _texts_consented(self, parent: User) -> None:
        """One parent is texted instead of emailed (make run's local Twilio prints the texts),
        at a number of the fictional 555-01xx range, consented with the profile's words."""
        phone, created = Phone.objects.get_or_create(
            user=parent, defaults={"number": DEMO_TEXTED_NUMBER, "opted_in_at": timezone.now()}
        )
        if created:
            ConsentEvent.objects.create(
                user=parent,
                number=phone.number,
                kind=ConsentEvent.Kind.OPT_IN,
                source=ConsentEvent.Source.PROFILE,
                words=CONSENT_WORDS,
                at=phone.opted_in_at,
            )

    def _clinics(self) -> dict[str, Clinic]:
        """Riverside is the deployment's first clinic, whatever its zone; Harbor Street is kept
        far from it, so that every time shown in the demo shows whose zone it is in."""
        riverside = Clinic.objects.order_by("pk").first() or Clinic.objects.create(
            name=DEMO_CLINICS[RIVERSIDE].name, slug=RIVERSIDE, time_zone=settings.TIME_ZONE
        )
        zone = next(z for z in HARBOR_ZONES if z != riverside.time_zone)
        harbor, _ = Clinic.objects.update_or_create(
            slug=HARBOR, defaults={"name": DEMO_CLINICS[HARBOR].name, "time_zone": zone}
        )
        return {RIVERSIDE: riverside, HARBOR: harbor}

    @transaction.atomic
    def _clinic_settings(self, clinic: Clinic, demo: DemoClinic) -> None:
        """Name and contact, opening hours, closures, emergency numbers, shared answers."""
        clinic.name, clinic.phone = demo.name, demo.phone
        clinic.address, clinic.colour = demo.address, demo.colour
        clinic.full_clean()
        clinic.save()
        OpeningSpan.objects.filter(clinic=clinic).delete()
        OpeningSpan.objects.bulk_create(
            OpeningSpan(clinic=clinic, weekday=day, opens=opens, closes=closes)
            for day, spans in demo.hours.items()
            for opens, closes in spans
        )
        today = timezone.localdate(timezone=clinic.zone)
        christmas = date(today.year, 12, 25)
        for day, reason in [
            (
                christmas if christmas >= today else christmas.replace(year=today.year + 1),
                "Christmas",
            ),
            (date(today.year + 1, 1, 1), "New Year's Day"),
        ]:
            Closure.objects.update_or_create(clinic=clinic, date=day, defaults={"reason": reason})
        EmergencyNumber.objects.filter(clinic=clinic).delete()
        EmergencyNumber.objects.bulk_create(
            EmergencyNumber(clinic=clinic, label=label, number=number, position=position)
            for position, (label, number) in enumerate(demo.emergency_numbers)
        )
        for title, body in demo.canned_answers:
            CannedAnswer.objects.update_or_create(
                clinic=clinic, owner=None, title=title, defaults={"body": body}
            )

    def _clinic_admin_permissions(self, admins: list[User]) -> None:
        permissions = Permission.objects.filter(
            content_type__app_label__in=CLINIC_ADMIN_APPS
        ).exclude(content_type__app_label="tenancy", codename__in=CLINIC_ADMIN_WITHHELD)
        for admin in admins:
            admin.user_permissions.set(permissions)

    def _user(self, email: str, name: str, role: str, password: str) -> User:
        user = User.objects.filter(email=email).first() or User(email=email)
        user.name = name
        user.role = role
        user.job_title = DEMO_JOB_TITLES.get(email, "")
        user.is_active = True
        user.is_superuser = email in DEMO_SUPERUSERS
        user.password = password
        user.full_clean(exclude=["password"])
        user.save()
        # Demo addresses are not real mailboxes; they count as verified so they can sign in.
        EmailAddress.objects.update_or_create(
            user=user, email=email, defaults={"primary": True, "verified": True}
        )
        if role != User.Role.PET_PARENT:
            Authenticator.objects.update_or_create(
                user=user,
                type=Authenticator.Type.TOTP,
                defaults={"data": {"secret": encrypt(DEMO_TOTP_SECRET)}},
            )
        return user

    def _conversation(
        self, appointment: Appointment, lines: list[tuple], users: dict[str, User]
    ) -> None:
        for number, (sender, kind, content, payload) in enumerate(lines, start=1):
            user = users[sender]
            message_send(
                chat=access_chat(user=user, appointment_id=appointment.pk),
                sender=user,
                content=content,
                message_type=kind,
                payload=payload,
                client_id=f"demo-{number}",  # a second run finds them stored
            )

    def _pet(self, owner: User, name: str, species: str, breed: str, born: date) -> Pet:
        pet, _ = Pet.objects.update_or_create(
            owner=owner,
            name=name,
            defaults={"species": species, "breed": breed, "date_of_birth": born},
        )
        return pet
