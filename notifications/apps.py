from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from chat.events import subscribe
        from notifications.subscribers import on_chat_event

        # In the sender's transaction: a send that rolls back leaves no job behind.
        subscribe(on_chat_event, in_transaction=True)
