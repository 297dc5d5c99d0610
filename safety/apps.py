from django.apps import AppConfig


class SafetyConfig(AppConfig):
    name = "safety"
    verbose_name = "Reply times and safe waits"

    def ready(self) -> None:
        from chat.events import subscribe
        from chat.page import register_message_notes
        from safety.page import message_notes
        from safety.subscribers import on_chat_event_in_transaction

        # The promise commits or rolls back with the message it was made for; the clinic's
        # red-flag mark and triage's route, whose apps subscribe first, are written by then.
        subscribe(on_chat_event_in_transaction, in_transaction=True)
        # The promise and the guard's words under each family message the clinic has not answered.
        register_message_notes(message_notes)
