"""Print a new VAPID key pair as environment lines: VETCHAT_VAPID_PUBLIC_KEY=… and the private."""

from base64 import urlsafe_b64encode

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.core.management.base import BaseCommand


def b64url(data: bytes) -> str:
    return urlsafe_b64encode(data).rstrip(b"=").decode()


class Command(BaseCommand):
    help = "Print a new VAPID key pair for Web Push as VETCHAT_VAPID_* environment lines."

    def handle(self, *args: object, **options: object) -> None:
        key = ec.generate_private_key(ec.SECP256R1())
        private = key.private_numbers().private_value.to_bytes(32, "big")
        public = key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        self.stdout.write(f"VETCHAT_VAPID_PUBLIC_KEY={b64url(public)}")
        self.stdout.write(f"VETCHAT_VAPID_PRIVATE_KEY={b64url(private)}")
