"""State changes of accounts."""

from allauth.account.adapter import get_adapter
from allauth.account.forms import default_token_generator
from allauth.account.internal.flows.password_reset import get_reset_password_from_key_url
from allauth.account.models import EmailAddress
from allauth.account.utils import user_pk_to_url_str
from allauth.core.context import request_context
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest

from accounts.models import User


def user_invite(*, request: HttpRequest, user: User) -> User:
    """Store an account that clinic staff created and mail its owner a set-your-password link.

    The account has no usable password until its owner follows the link, so staff never know
    it. The address counts as verified: staff vouch for it, and only its mailbox receives the
    link that makes the account usable.
    """
    with transaction.atomic():
        user.set_unusable_password()
        user.full_clean(exclude=["password"])
        user.save()
        EmailAddress.objects.update_or_create(
            user=user, email=user.email, defaults={"primary": True, "verified": True}
        )
        transaction.on_commit(lambda: invitation_send(request=request, user=user))
    return user


def invitation_send(*, request: HttpRequest, user: User) -> None:
    key = f"{user_pk_to_url_str(user)}-{default_token_generator.make_token(user)}"
    # allauth's mail helpers read the request from its context, which an after-commit
    # callback may run outside of.
    with request_context(request):
        get_adapter(request).send_mail(
            "account/email/invitation",
            user.email,
            {"user": user, "password_set_url": get_reset_password_from_key_url(request, key)},
        )


CLINIC_ACCOUNT_EMAIL = "clinic@vetchat.invalid"


def clinic_account() -> User:
    """The clinic's own voice in chats (hand-overs, after-hours replies): it never signs in."""
    account, created = User.objects.get_or_create(
        email=CLINIC_ACCOUNT_EMAIL,
        defaults={
            "name": settings.VETCHAT_CLINIC_NAME,
            "role": User.Role.STAFF,
            "is_active": False,
        },
    )
    if created:
        account.set_unusable_password()
        account.save(update_fields=["password"])
    return account
