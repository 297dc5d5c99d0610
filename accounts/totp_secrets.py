"""Second-factor secrets (TOTP keys, recovery-code seeds) as they are kept in the database:
encrypted with Fernet (AES-128-CBC with an HMAC-SHA256 tag) under a key that lives outside it.

The key is `VETCHAT_TOTP_KEY`: one or more Fernet keys, comma-separated; the first encrypts and
each of them decrypts, so a new key goes first and the old one stays after it for as long as
secrets written under it are in use. Without it the key is derived from `DJANGO_SECRET_KEY`, so
a copy of the database alone still does not give the secrets away; rotating the secret key then
voids every authenticator, which is why production sets a key of its own.
"""

import base64
from collections.abc import Callable

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

# Marks a value as encrypted here: a stored value without it is a plain secret.
PREFIX = "fernet:"


class UnreadableSecret(Exception):
    """A stored secret that no configured key opens, or one that was never encrypted."""


def _derived_key() -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"vetchat totp secrets")
    return base64.urlsafe_b64encode(hkdf.derive(settings.SECRET_KEY.encode()))


def _cipher() -> MultiFernet:
    keys = [key.strip() for key in settings.VETCHAT_TOTP_KEY.split(",") if key.strip()]
    try:
        fernets = [Fernet(key) for key in keys] or [Fernet(_derived_key())]
    except ValueError as error:
        raise ImproperlyConfigured(
            "VETCHAT_TOTP_KEY must hold Fernet keys (32 url-safe base64 bytes each), e.g. from "
            "`python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key())'`."
        ) from error
    return MultiFernet(fernets)


def is_encrypted(value: str) -> bool:
    return value.startswith(PREFIX)


def secret_encrypt(text: str) -> str:
    return PREFIX + _cipher().encrypt(text.encode()).decode()


def secret_decrypt(value: str) -> str:
    if not is_encrypted(value):
        raise UnreadableSecret("A second-factor secret is stored unencrypted: run migrations.")
    try:
        return _cipher().decrypt(value.removeprefix(PREFIX).encode()).decode()
    except InvalidToken as error:
        raise UnreadableSecret(
            "No key in VETCHAT_TOTP_KEY opens a stored second-factor secret."
        ) from error


def authenticator_data_encrypted(data: dict) -> dict:
    """An authenticator's data with every secret in it encrypted (the TOTP key, the recovery
    codes' seed and any codes carried over); values encrypted already are kept."""
    return _mapped(data, lambda value: value if is_encrypted(value) else secret_encrypt(value))


def authenticator_data_decrypted(data: dict) -> dict:
    return _mapped(data, lambda value: secret_decrypt(value) if is_encrypted(value) else value)


SECRET_FIELDS = ("secret", "seed")
SECRET_LISTS = ("migrated_codes",)


def _mapped(data: dict, change: Callable[[str], str]) -> dict:
    data = dict(data)
    for field in SECRET_FIELDS:
        if isinstance(data.get(field), str):
            data[field] = change(data[field])
    for field in SECRET_LISTS:
        if isinstance(data.get(field), list):
            data[field] = [change(v) if isinstance(v, str) else v for v in data[field]]
    return data
