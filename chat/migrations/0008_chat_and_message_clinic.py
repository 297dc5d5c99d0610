import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("chat", "0007_chain_links"),
        ("tenancy", "0002_first_clinic"),
    ]

    operations = [
        migrations.AddField(
            model_name="chat",
            name="clinic",
            field=models.ForeignKey(
                default=1,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="tenancy.clinic",
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="message",
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
    ]
