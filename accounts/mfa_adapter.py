"""allauth's MFA adapter for vetchat: who may remove a second factor, and how its secrets are
kept (encrypted, accounts.totp_secrets)."""

from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator

from accounts.middleware import mfa_required
from accounts.totp_secrets import secret_decrypt, secret_encrypt


class MfaAdapter(DefaultMFAAdapter):
    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        # A vet or staff member may replace their authenticator app only by asking an admin.
        if authenticator.type == Authenticator.Type.TOTP and mfa_required(authenticator.user):
            return False
        return super().can_delete_authenticator(authenticator)

    def encrypt(self, text: str) -> str:
        return secret_encrypt(text)

    def decrypt(self, encrypted_text: str) -> str:
        return secret_decrypt(encrypted_text)
