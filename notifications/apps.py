from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from chat.events import subscribe
        from notifications.subscribers import on_chat_event
        from notifications.texts import on_text_undelivered
        from sms.signals import text_undelivered

        # In the sender's transaction: a send that rolls back leaves no job behind.
        subscribe(on_chat_event, in_transaction=True)
        # A text that did not arrive is told by email and push instead.
        text_undelivered.connect(on_text_undelivered, dispatch_uid="notifications_text_fallback")
