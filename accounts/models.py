import uuid
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.functional import cached_property

from accounts.signals import user_access_changed
from tenancy.models import ClinicMembership

# What decides what an account may open: a change to any of them ends its open sockets' access.
ACCESS_FIELDS = ("is_active", "role", "password")


def display_name(name: str, email: str) -> str:
    """What the app calls a user: their name, or the first part of their email address."""
    return name or email.split("@", 1)[0]


def initials(name: str) -> str:
    """Up to two letters for an avatar without a picture."""
    words = name.replace("Dr.", "").split()
    return "".join(word[0] for word in words[:2]).upper() or "?"


def role_label(role: str, job_title: str = "") -> str:
    """What a chat shows beside a sender's name: their job title, or their role."""
    return job_title or dict(User.Role.choices).get(role, "")


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **fields: object) -> "User":
        if not email:
            raise ValueError("A user needs an email address.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **fields: object) -> "User":
        fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **fields)

    def create_superuser(self, email: str, password: str | None = None, **fields: object) -> "User":
        fields.setdefault("role", User.Role.STAFF)
        fields["is_superuser"] = True
        if fields["role"] != User.Role.STAFF:
            raise ValueError("A superuser must have the staff role.")
        return self._create_user(email, password, **fields)

    def get_by_natural_key(self, username: str | None) -> "User":
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    """Someone who signs in: a pet parent, a veterinarian or a member of the clinic's staff."""

    class Role(models.TextChoices):
        PET_PARENT = "pet_parent", "Pet parent"
        VETERINARIAN = "veterinarian", "Veterinarian"
        # Nurses, technicians and receptionists: they answer in the chats of the appointments
        # whose care team they are on, and prescribe nothing.
        TECHNICIAN = "technician", "Technician"
        STAFF = "staff", "Clinic staff"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField("email address", unique=True)
    name = models.CharField("display name", max_length=150)
    role = models.CharField(max_length=20, choices=Role, default=Role.PET_PARENT)
    # What the chat shows beside a clinic member's name ("Sam Lee · Nurse"); the role when empty.
    job_title = models.CharField(
        "job title", max_length=60, blank=True, help_text="e.g. Nurse, Receptionist."
    )
    # The path of the user's own profile photo (attachments.ProfilePhoto), never a URL anyone
    # typed: a picture from another host would tell it who reads the chat, and when.
    image_url = models.CharField(
        "profile photo", max_length=200, blank=True, help_text="Initials are shown when empty."
    )
    is_active = models.BooleanField(
        default=True, help_text="Unset this instead of deleting the account."
    )
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = ["name"]

    class Meta:
        ordering = ["name", "email"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>" if self.name else self.email

    @classmethod
    def from_db(cls, db: Any, field_names: Any, values: Any) -> "User":
        user = super().from_db(db, field_names, values)
        user._access_as_loaded = user._access()
        return user

    def _access(self) -> tuple[Any, ...]:
        return tuple(self.__dict__.get(name) for name in ACCESS_FIELDS)

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Saved however (the admin, a password reset or change, a shell): when what the account
        may open changed, its open sockets are told after commit."""
        loaded = getattr(self, "_access_as_loaded", None)
        super().save(*args, **kwargs)
        now = self._access()
        if loaded is not None and now != loaded:
            transaction.on_commit(lambda: user_access_changed.send(sender=User, user=self))
        self._access_as_loaded = now

    def clean(self) -> None:
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()

    @cached_property
    def clinic_ids(self) -> frozenset[int]:
        """The clinics this account works at; none for a pet parent, a client of any clinic.

        `accounts.backends` loads them with the user, so a request asks no second query.
        """
        if self.role == self.Role.PET_PARENT:
            return frozenset()
        memberships = ClinicMembership.objects.filter(user_id=self.pk)
        return frozenset(memberships.values_list("clinic_id", flat=True))

    def works_at(self, clinic_id: int) -> bool:
        """Platform superusers work at every clinic; everyone else at their memberships'."""
        return self.is_superuser or clinic_id in self.clinic_ids

    @property
    def is_staff(self) -> bool:
        """Only clinic staff reach the admin; the role is the single source of truth."""
        return self.role == self.Role.STAFF

    @property
    def display_name(self) -> str:
        return display_name(self.name, self.email)

    @property
    def role_label(self) -> str:
        return role_label(self.role, self.job_title)

    @property
    def is_clinic(self) -> bool:
        """Vets and technicians: the clinic's side of a chat."""
        return self.role in CLINIC_ROLES

    @property
    def initials(self) -> str:
        return initials(self.display_name)

    def get_full_name(self) -> str:
        return self.display_name

    def get_short_name(self) -> str:
        return self.display_name


CLINIC_ROLES = frozenset({User.Role.VETERINARIAN, User.Role.TECHNICIAN})


class SigninLink(models.Model):
    """A one-click sign-in from a notification email into one appointment's chat.

    Single use and short-lived (`VETCHAT_SIGNIN_LINK_SECONDS`, counted from when the email was
    built). Only the token's SHA-256 is stored: a copy of the table opens no chat. Written and
    read by `accounts.signin_links` alone.
    """

    token_hash = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    appointment = models.ForeignKey(
        "appointments.Appointment", on_delete=models.CASCADE, related_name="+"
    )
    # The address the link went to: a link sent before the account's address changed is void,
    # as the old mailbox may now be someone else's.
    email = models.EmailField()
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "expires_at"], name="signin_link_user_expires")]

    def __str__(self) -> str:
        return f"Sign-in link for {self.user_id} made {self.created_at:%Y-%m-%d %H:%M}"
