import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("tenancy", "0002_first_clinic"),
        ("transcripts", "0002_filed_once_per_rev"),
    ]

    operations = [
        migrations.AddField(
            model_name="transcript",
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
