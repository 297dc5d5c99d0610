from uuid import UUID

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chat.chain import chain_check
from chat.checkpoints import checkpoints_read
from chat.models import Chat


class Command(BaseCommand):
    help = (
        "Recompute every chat's keyed hash chain (every send, edit, retraction and "
        "acknowledgement), check it against the signed checkpoints kept beside the transcripts, "
        "and name the first fault of each chat that fails; exits non-zero when any does."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--appointment", type=UUID, help="Check only this appointment's chat.")

    def handle(self, *args: object, appointment: UUID | None = None, **options: object) -> None:
        chats = Chat.objects.order_by("created_at").only(
            "appointment_id", "last_seq", "last_hash", "last_link"
        )
        if appointment is not None:
            chats = chats.filter(appointment_id=appointment)
            if not chats.exists():
                raise CommandError(f"No chat for appointment {appointment}.")
        checkpoints = checkpoints_read()
        for problem in checkpoints.problems:
            self.stderr.write(problem)
        checked = broken = 0
        seen: set[int] = set()
        for chat in chats.iterator():
            checked += 1
            seen.add(chat.pk)
            fault = chain_check(chat, checkpoints.of(chat.pk))
            if fault is not None:
                broken += 1
                at = f" ({fault.message_id})" if fault.message_id else ""
                self.stderr.write(
                    f"Appointment {chat.appointment_id}: broken at {fault.at}{at}: {fault.reason}."
                )
        if appointment is None:
            for chat_id in checkpoints.heads.keys() - seen:
                broken += 1
                self.stderr.write(
                    f"Appointment {checkpoints.appointments[chat_id]}: its chat (#{chat_id}) is "
                    "in the checkpoints but no longer in the database."
                )
        if checkpoints.problems:
            raise CommandError(
                f"{broken} of {checked} chats failed the integrity check; "
                f"{len(checkpoints.problems)} checkpoint lines failed theirs."
            )
        if broken:
            raise CommandError(f"{broken} of {checked} chats failed the integrity check.")
        self.stdout.write(self.style.SUCCESS(f"{checked} chats checked, every chain intact."))
        self.stdout.write(
            f"Checked against {checkpoints.files} checkpoints, the latest of "
            f"{checkpoints.latest:%Y-%m-%d %H:%M} UTC."
            if checkpoints.latest
            else "No checkpoint yet (python manage.py checkpoint_chats writes one)."
        )
