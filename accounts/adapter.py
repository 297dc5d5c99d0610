from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from django.http import HttpRequest

from accounts.middleware import mfa_required, session_stamp
from accounts.models import User


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request: HttpRequest, user: User, form, commit: bool = True) -> User:
        # Sign-up is open to pet parents only; vets and staff are created by an admin.
        user.role = User.Role.PET_PARENT
        user.name = form.cleaned_data["name"].strip()
        return super().save_user(request, user, form, commit=commit)

    def login(self, request: HttpRequest, user: User) -> None:
        super().login(request, user)
        session_stamp(request.session, user)


class MfaAdapter(DefaultMFAAdapter):
    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        # A vet or staff member may replace their authenticator app only by asking an admin.
        if authenticator.type == Authenticator.Type.TOTP and mfa_required(authenticator.user):
            return False
        return super().can_delete_authenticator(authenticator)
