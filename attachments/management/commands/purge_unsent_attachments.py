from datetime import timedelta

from django.core.management.base import BaseCommand, CommandParser

from attachments.services import UNSENT_LIFETIME, attachments_purge_unsent


class Command(BaseCommand):
    help = (
        "Remove uploads that no message took within 24 hours (their files and rows). "
        "Attachments of sent messages are part of the record and are never removed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than-hours",
            type=float,
            default=UNSENT_LIFETIME.total_seconds() / 3600,
            help="Only uploads older than this (default 24).",
        )

    def handle(self, *args: object, older_than_hours: float, **options: object) -> None:
        removed = attachments_purge_unsent(older_than=timedelta(hours=older_than_hours))
        self.stdout.write(f"Removed {removed} unsent upload(s).")
