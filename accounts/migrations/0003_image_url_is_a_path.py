from django.db import migrations, models


def forget_foreign_pictures(apps, schema_editor):
    """Pictures typed as URLs of other hosts are dropped: only uploaded photos are shown."""
    User = apps.get_model("accounts", "User")
    User.objects.exclude(image_url="").exclude(image_url__startswith="/profile-photos/").update(
        image_url=""
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_technician_role_and_job_title"),
    ]

    operations = [
        migrations.RunPython(forget_foreign_pictures, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="user",
            name="image_url",
            field=models.CharField(
                blank=True,
                help_text="Initials are shown when empty.",
                max_length=200,
                verbose_name="profile photo",
            ),
        ),
    ]
