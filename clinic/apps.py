from django.apps import AppConfig


class ClinicConfig(AppConfig):
    name = "clinic"
    verbose_name = "Clinic"

    def ready(self) -> None:
        from chat.events import subscribe
        from chat.scheduled import hold_rules
        from clinic.held_replies import held_while_closed
        from clinic.subscribers import on_chat_event_after_commit, on_chat_event_in_transaction

        # The red-flag mark commits or rolls back with the message that raised it.
        subscribe(on_chat_event_in_transaction, in_transaction=True)
        # The after-hours reply is a message of its own, sent once the parent's is stored.
        subscribe(on_chat_event_after_commit)
        # Replies written while the clinic is closed wait for its opening when it asks so.
        if held_while_closed not in hold_rules:
            hold_rules.append(held_while_closed)
