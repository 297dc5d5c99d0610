"""Intake and routing: the questions a clinic asks before a pet parent's first message of a
topic, the pools of people who answer, which pool answers which category, and where each
chat's current topic stands."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from appointments.models import Pet
from chat.models import Chat, Message
from tenancy.models import Clinic
from triage.categories import Category


class IntakeQuestion(models.Model):
    """A question the intake asks about a medical topic, for one species or every species."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="+")
    species = models.CharField(
        max_length=20, choices=Pet.Species, blank=True, help_text="Blank: every species."
    )
    text = models.CharField("question", max_length=200)
    choices = models.TextField(
        "answer choices",
        blank=True,
        help_text="One answer a line. Leave empty for a free-text answer.",
    )
    position = models.PositiveSmallIntegerField(default=0)
    enabled = models.BooleanField(default=True)

    class Meta:
        ordering = ["clinic", "position", "pk"]
        indexes = [models.Index(fields=["clinic", "position"], name="triage_question_clinic")]

    def __str__(self) -> str:
        return self.text

    @property
    def choice_list(self) -> list[str]:
        return [line.strip() for line in self.choices.splitlines() if line.strip()]


class Pool(models.Model):
    """People of one clinic who answer chats of some categories together (front desk, nursing,
    vets): each member sees a routed chat until one of them takes it."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=100)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")

    class Meta:
        ordering = ["clinic", "name"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "name"], name="triage_pool_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class CategoryRoute(models.Model):
    """Which pool of the clinic answers a category."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="+")
    category = models.CharField(max_length=20, choices=Category)
    pool = models.ForeignKey(Pool, on_delete=models.CASCADE, related_name="routes")

    class Meta:
        ordering = ["clinic", "category"]
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "category"], name="triage_category_route_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()} → {self.pool}"


class ChatRoute(models.Model):
    """Where a chat's current topic stands: its category, the pool it waits in until someone
    takes it, and the vet who keeps the chat with themselves (its later topics skip the pools)."""

    chat = models.OneToOneField(Chat, on_delete=models.PROTECT, related_name="+")
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    category = models.CharField(max_length=20, choices=Category)
    pool = models.ForeignKey(
        Pool, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    routed_at = models.DateTimeField(default=timezone.now)
    # The intake that opened the topic; none for a chat kept before any intake.
    intake = models.ForeignKey(
        Message, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    taken_at = models.DateTimeField(null=True, blank=True)
    kept_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-routed_at"]
        indexes = [
            # "Needs reply" and the pools' queues: what waits, untaken, in a pool.
            models.Index(
                fields=["pool", "routed_at"],
                condition=models.Q(taken_by__isnull=True),
                name="triage_route_waiting",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()} in {self.chat_id}"
