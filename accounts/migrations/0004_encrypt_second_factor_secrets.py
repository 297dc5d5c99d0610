"""Second-factor secrets written before they were encrypted (accounts.totp_secrets) are
encrypted in place; reversing writes them back in the clear."""

from django.db import migrations

from accounts.totp_secrets import authenticator_data_decrypted, authenticator_data_encrypted


def _rewrite(apps, change) -> None:  # noqa: ANN001
    Authenticator = apps.get_model("mfa", "Authenticator")
    for authenticator in Authenticator.objects.all().iterator():
        data = change(authenticator.data)
        if data != authenticator.data:
            authenticator.data = data
            authenticator.save(update_fields=["data"])


def encrypt(apps, schema_editor) -> None:  # noqa: ANN001
    _rewrite(apps, authenticator_data_encrypted)


def decrypt(apps, schema_editor) -> None:  # noqa: ANN001
    _rewrite(apps, authenticator_data_decrypted)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_image_url_is_a_path"),
        ("mfa", "0003_authenticator_type_uniq"),
    ]

    operations = [migrations.RunPython(encrypt, decrypt)]
