from uuid import UUID

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chat.integrity import first_broken_link
from chat.models import Chat
from chat.selectors import chain_links


class Command(BaseCommand):
    help = (
        "Recompute every chat's hash chain and name the first broken link of each chat that "
        "fails; exits non-zero when any does."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--appointment", type=UUID, help="Check only this appointment's chat.")

    def handle(self, *args: object, appointment: UUID | None = None, **options: object) -> None:
        chats = Chat.objects.order_by("created_at").only("appointment_id", "last_seq", "last_hash")
        if appointment is not None:
            chats = chats.filter(appointment_id=appointment)
            if not chats.exists():
                raise CommandError(f"No chat for appointment {appointment}.")
        checked = broken = 0
        for chat in chats.iterator():
            checked += 1
            fault = first_broken_link(chain_links(chat.pk), chat.last_hash, chat.last_seq)
            if fault is not None:
                broken += 1
                at = f" ({fault.message_id})" if fault.message_id else ""
                self.stderr.write(
                    f"Appointment {chat.appointment_id}: broken at message #{fault.seq}{at}: "
                    f"{fault.reason}."
                )
        if broken:
            raise CommandError(f"{broken} of {checked} chats failed the integrity check.")
        self.stdout.write(self.style.SUCCESS(f"{checked} chats checked, every chain intact."))
