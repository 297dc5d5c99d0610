import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0003_queued_and_undelivered_emails"),
        ("tenancy", "0002_first_clinic"),
    ]

    operations = [
        migrations.AddField(
            model_name="chatnotification",
            name="clinic",
            field=models.ForeignKey(
                default=1,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="tenancy.clinic",
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="unreademail",
            name="clinic",
            field=models.ForeignKey(
                default=1,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="tenancy.clinic",
            ),
            preserve_default=False,
        ),
    ]
