import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("appointments", "0003_appointment_clinic"),
        ("audit", "0002_search_events"),
        ("tenancy", "0002_first_clinic"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # Every event so far was the one clinic's. Filled by the column's default as it is
        # added: the append-only trigger refuses an UPDATE, and a default fires no trigger.
        migrations.AddField(
            model_name="auditevent",
            name="clinic",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                default=1,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="tenancy.clinic",
            ),
            preserve_default=False,
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(fields=["clinic", "at"], name="audit_event_clinic_at"),
        ),
    ]
