import django.core.validators
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

import tenancy.models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Clinic",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(help_text="Shown to pet parents.", max_length=150)),
                ("slug", models.SlugField(max_length=60, unique=True)),
                (
                    "time_zone",
                    models.CharField(
                        default="UTC",
                        help_text="Opening hours, and every date and time of this clinic's appointments, are in it (an IANA name, e.g. Europe/London).",
                        max_length=60,
                        validators=[tenancy.models.validate_time_zone],
                    ),
                ),
                (
                    "phone",
                    models.CharField(
                        blank=True,
                        help_text="Fills the {clinic_phone} placeholder of canned answers.",
                        max_length=40,
                        verbose_name="clinic phone",
                    ),
                ),
                ("address", models.TextField(blank=True)),
                (
                    "colour",
                    models.CharField(
                        blank=True,
                        help_text="The clinic's colour beside its name, as #rrggbb.",
                        max_length=7,
                        validators=[
                            django.core.validators.RegexValidator(
                                "^#[0-9a-fA-F]{6}$", "A colour as #rrggbb."
                            )
                        ],
                    ),
                ),
                (
                    "email_sender_name",
                    models.CharField(
                        blank=True,
                        help_text="The name emails come from; the clinic's when empty.",
                        max_length=100,
                    ),
                ),
                (
                    "after_hours_reply",
                    models.TextField(
                        default="Thank you for your message. The clinic is closed right now; a member of the team will answer when we open. If your pet needs urgent care, call one of the emergency numbers below.",
                        help_text="Sent once per chat and closed period to a pet parent who writes while the clinic is closed; the emergency numbers are added below it.",
                    ),
                ),
                ("updated_at", models.DateTimeField(auto_now=True)),
            ],
            options={
                "ordering": ["name", "pk"],
            },
        ),
        migrations.CreateModel(
            name="ClinicMembership",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "clinic",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="memberships",
                        to="tenancy.clinic",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        limit_choices_to={"role__in": ("veterinarian", "technician", "staff")},
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="clinic_memberships",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "member",
                "ordering": ["clinic", "user"],
                "indexes": [models.Index(fields=["user", "clinic"], name="clinic_membership_user")],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("clinic", "user"), name="clinic_membership_unique"
                    )
                ],
            },
        ),
    ]
