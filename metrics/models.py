"""What a clinic aims for in replying to its families: its reply-time goal."""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from tenancy.models import Clinic

# The share of family questions a clinic accepts waiting over a business hour, until it sets
# its own.
DEFAULT_LATE_GOAL = Decimal("5.0")


class ReplyGoal(models.Model):
    """A clinic's goal for first replies; no row: `DEFAULT_LATE_GOAL`."""

    clinic = models.OneToOneField(
        Clinic, on_delete=models.CASCADE, primary_key=True, related_name="reply_goal"
    )
    late_share = models.DecimalField(
        "goal: at most this share answered late (%)",
        max_digits=4,
        decimal_places=1,
        default=DEFAULT_LATE_GOAL,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
        help_text="The share of family questions the clinic accepts waiting more than one "
        "business hour for a first reply, in percent (e.g. 5).",
    )

    class Meta:
        verbose_name = "reply-time goal"
        verbose_name_plural = "reply-time goals"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(late_share__gte=0) & models.Q(late_share__lte=100),
                name="metrics_goal_is_a_percentage",
            ),
        ]

    def __str__(self) -> str:
        return f"At most {self.late_share} % answered late"
