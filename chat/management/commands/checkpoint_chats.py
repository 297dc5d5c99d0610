from django.core.management.base import BaseCommand
from django.utils import timezone

from chat.checkpoints import checkpoint_write


class Command(BaseCommand):
    help = (
        "Write a signed checkpoint of every chat head that moved since the last one, beside the "
        "filed transcripts (what the worker's hourly job does; for cron). Safe to repeat."
    )

    def handle(self, *args: object, **options: object) -> None:
        name = checkpoint_write(now=timezone.now())
        self.stdout.write(f"Checkpoint written: {name}." if name else "No chat head moved.")
