from django.apps import AppConfig
from django.db import transaction
from django.db.models.signals import post_delete, post_save


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from tenancy.models import ClinicMembership

        # Joining or leaving a clinic changes what the account may open, like its role does.
        post_save.connect(_membership_changed, sender=ClinicMembership)
        post_delete.connect(_membership_changed, sender=ClinicMembership)


def _membership_changed(sender, instance, **kwargs) -> None:
    from accounts.models import User
    from accounts.signals import user_access_changed

    def tell(user_id=instance.user_id) -> None:
        user = User.objects.filter(pk=user_id).first()
        if user is not None:  # not when the account itself was deleted
            user_access_changed.send(sender=User, user=user)

    transaction.on_commit(tell)
