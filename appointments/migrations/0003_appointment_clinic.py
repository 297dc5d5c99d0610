import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("appointments", "0002_care_team_and_co_owners"),
        ("tenancy", "0002_first_clinic"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="appointment",
            name="clinic",
            field=models.ForeignKey(
                db_index=False,
                default=1,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="appointments",
                to="tenancy.clinic",
            ),
            preserve_default=False,
        ),
        migrations.AddIndex(
            model_name="appointment",
            index=models.Index(fields=["clinic", "starts_at"], name="appointment_clinic_starts"),
        ),
    ]
