from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0003_audit_event_clinic"),
    ]

    operations = [
        migrations.AlterField(
            model_name="auditevent",
            name="action",
            field=models.CharField(
                choices=[
                    ("chat.read", "Chat read"),
                    ("transcript.export", "Transcript exported"),
                    ("attachment.download", "Attachment downloaded"),
                    ("admin.search", "Searched in the admin"),
                    ("oncall.paged", "Paged on call"),
                    ("oncall.acknowledged", "Page acknowledged"),
                    ("oncall.escalated", "Page escalated"),
                ],
                max_length=40,
            ),
        ),
    ]
