"""What a pet parent's message is about: the intake's first question, and what routes the chat."""

from django.db import models


class Category(models.TextChoices):
    MEDICAL = "medical", "Medical question"
    MEDICATION = "medication", "Medication or refill"
    APPOINTMENT = "appointment", "Appointment"
    BILLING = "billing", "Billing"
    OTHER = "other", "Something else"
