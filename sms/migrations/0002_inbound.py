from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("sms", "0001_texts"),
    ]

    operations = [
        migrations.AddField(
            model_name="inboundtext",
            name="choices",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddField(
            model_name="inboundtext",
            name="reply",
            field=models.TextField(blank=True),
        ),
        migrations.AlterField(
            model_name="inboundtext",
            name="outcome",
            field=models.CharField(
                blank=True,
                choices=[
                    ("posted", "Posted in the chat"),
                    ("asked", "Asked which pet"),
                    ("answered", "Answered which pet"),
                    ("stop", "Opted out"),
                    ("start", "Opted in again"),
                    ("help", "Sent help"),
                    ("unknown", "Unknown number"),
                    ("refused", "Refused"),
                ],
                max_length=10,
            ),
        ),
    ]
