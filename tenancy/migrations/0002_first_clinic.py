"""The deployment's one clinic so far becomes the first `Clinic`, with every vet, technician and
staff account as its members. Its name is VETCHAT_CLINIC_NAME's and its time zone
DJANGO_TIME_ZONE's (clinic 0004 then copies the settings staff had edited)."""

from django.conf import settings
from django.db import migrations
from django.utils.text import slugify

MEMBER_ROLES = ("veterinarian", "technician", "staff")


def first_clinic(apps, schema_editor):
    Clinic = apps.get_model("tenancy", "Clinic")
    ClinicMembership = apps.get_model("tenancy", "ClinicMembership")
    User = apps.get_model("accounts", "User")
    if Clinic.objects.exists():
        return
    name = settings.VETCHAT_CLINIC_NAME
    # pk 1: the value the other apps' migrations give every row they own.
    clinic = Clinic.objects.create(
        pk=1, name=name, slug=slugify(name)[:60] or "clinic", time_zone=settings.TIME_ZONE
    )
    schema_editor.execute(
        "SELECT setval(pg_get_serial_sequence('tenancy_clinic', 'id'), "
        "(SELECT max(id) FROM tenancy_clinic))"
    )
    ClinicMembership.objects.bulk_create(
        ClinicMembership(clinic=clinic, user=user)
        for user in User.objects.filter(role__in=MEMBER_ROLES)
    )


def no_clinics(apps, schema_editor):
    apps.get_model("tenancy", "ClinicMembership").objects.all().delete()
    apps.get_model("tenancy", "Clinic").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("tenancy", "0001_clinics_and_members"),
        ("accounts", "0005_limit_fallback_table"),
    ]

    operations = [migrations.RunPython(first_clinic, no_clinics)]
