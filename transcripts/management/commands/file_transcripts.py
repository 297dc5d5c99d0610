from django.core.management.base import BaseCommand, CommandParser

from transcripts.services import transcripts_file_closed


class Command(BaseCommand):
    help = (
        "File the transcript of every completed appointment whose follow-up window has closed "
        "and that has none yet (what the worker's periodic job does; for cron). Safe to repeat."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--defer",
            action="store_true",
            help="Leave the rendering to the job worker instead of rendering here.",
        )

    def handle(self, *args: object, defer: bool = False, **options: object) -> None:
        filed = transcripts_file_closed(render=not defer)
        self.stdout.write(f"{filed} transcript(s) filed.")
