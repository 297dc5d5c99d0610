import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("attachments", "0003_attachment_withdrawn"),
        ("tenancy", "0002_first_clinic"),
    ]

    operations = [
        migrations.AddField(
            model_name="attachment",
            name="clinic",
            field=models.ForeignKey(
                default=1,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="tenancy.clinic",
            ),
            preserve_default=False,
        ),
    ]
