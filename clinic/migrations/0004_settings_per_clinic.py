"""Opening hours, closures, emergency numbers, the after-hours reply, red-flag signs and shared
canned answers become each clinic's: the single settings row moves into the first clinic, the
signs stay as the shared default list and are copied to it, the shared answers become its."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

FIRST = 1  # tenancy 0002's clinic, and clinic_clinicsettings' one row


def settings_into_first_clinic(apps, schema_editor):
    Clinic = apps.get_model("tenancy", "Clinic")
    ClinicSettings = apps.get_model("clinic", "ClinicSettings")
    RedFlagSign = apps.get_model("clinic", "RedFlagSign")
    CannedAnswer = apps.get_model("clinic", "CannedAnswer")
    clinic = Clinic.objects.filter(pk=FIRST).first()
    if clinic is None:
        return
    old = ClinicSettings.objects.filter(pk=FIRST).first()
    if old is not None:
        clinic.name = old.name or clinic.name
        clinic.phone = old.phone
        clinic.after_hours_reply = old.after_hours_reply
        clinic.save()
    RedFlagSign.objects.bulk_create(
        RedFlagSign(
            clinic=clinic,
            name=sign.name,
            phrases=sign.phrases,
            species=sign.species,
            enabled=sign.enabled,
            position=sign.position,
        )
        for sign in RedFlagSign.objects.filter(clinic__isnull=True).order_by("pk")
    )
    CannedAnswer.objects.filter(owner__isnull=True).update(clinic=clinic)


def settings_out_of_first_clinic(apps, schema_editor):
    """Back to one clinic: the first one's settings; every other clinic's are dropped."""
    Clinic = apps.get_model("tenancy", "Clinic")
    ClinicSettings = apps.get_model("clinic", "ClinicSettings")
    for name in ("OpeningSpan", "Closure", "EmergencyNumber"):
        apps.get_model("clinic", name).objects.exclude(clinic_id=FIRST).delete()
    # Only the columns read: a later migration may have added others, and unapplied them first.
    clinic = Clinic.objects.filter(pk=FIRST).values("name", "phone", "after_hours_reply").first()
    if clinic is not None:
        ClinicSettings.objects.create(pk=FIRST, **clinic)


def shared_signs_only(apps, schema_editor):
    apps.get_model("clinic", "RedFlagSign").objects.filter(clinic__isnull=False).delete()
    CannedAnswer = apps.get_model("clinic", "CannedAnswer")
    CannedAnswer.objects.filter(owner__isnull=True).exclude(clinic_id=FIRST).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("chat", "0008_chat_and_message_clinic"),
        ("clinic", "0003_red_flag_phrases_widened"),
        ("tenancy", "0002_first_clinic"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="cannedanswer",
            name="clinic",
            field=models.ForeignKey(
                blank=True,
                help_text="The clinic sharing it; empty for a clinician's own.",
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="canned_answers",
                to="tenancy.clinic",
            ),
        ),
        migrations.AddField(
            model_name="redflagsign",
            name="clinic",
            field=models.ForeignKey(
                blank=True,
                help_text="Empty: the shared default list new clinics start from.",
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="red_flag_signs",
                to="tenancy.clinic",
            ),
        ),
        migrations.AddField(
            model_name="urgentchat",
            name="clinic",
            field=models.ForeignKey(
                db_index=False,
                default=1,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="tenancy.clinic",
            ),
            preserve_default=False,
        ),
        migrations.RunPython(settings_into_first_clinic, shared_signs_only),
        migrations.AlterField(
            model_name="openingspan",
            name="clinic",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="spans",
                to="tenancy.clinic",
            ),
        ),
        migrations.AlterField(
            model_name="closure",
            name="clinic",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="closures",
                to="tenancy.clinic",
            ),
        ),
        migrations.AlterField(
            model_name="emergencynumber",
            name="clinic",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="emergency_numbers",
                to="tenancy.clinic",
            ),
        ),
        migrations.RunPython(migrations.RunPython.noop, settings_out_of_first_clinic),
        migrations.AlterField(
            model_name="cannedanswer",
            name="owner",
            field=models.ForeignKey(
                blank=True,
                help_text="Empty: shared with the clinic's team.",
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="canned_answers",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="closure",
            name="date",
            field=models.DateField(),
        ),
        migrations.AddIndex(
            model_name="urgentchat",
            index=models.Index(fields=["clinic", "flagged_at"], name="clinic_urgent_flagged"),
        ),
        migrations.AddConstraint(
            model_name="cannedanswer",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("owner__isnull", False), ("clinic__isnull", False), _connector="OR"
                ),
                name="clinic_canned_answer_owned_or_shared",
            ),
        ),
        migrations.AddConstraint(
            model_name="closure",
            constraint=models.UniqueConstraint(
                fields=("clinic", "date"), name="clinic_closure_once_a_day"
            ),
        ),
        migrations.DeleteModel(
            name="ClinicSettings",
        ),
    ]
