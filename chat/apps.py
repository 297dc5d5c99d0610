from typing import Any

from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "chat"
    verbose_name = "Chat"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_out

        from accounts.signals import user_deactivated
        from appointments.signals import appointment_status_changed
        from chat.events import subscribe
        from chat.push import push_chat_event

        subscribe(push_chat_event)
        user_logged_out.connect(close_sockets_on_sign_out, dispatch_uid="chat.push.sign_out")
        user_deactivated.connect(close_sockets_on_deactivation, dispatch_uid="chat.push.inactive")
        appointment_status_changed.connect(push_status, dispatch_uid="chat.push.status")


def close_sockets_on_sign_out(sender: Any, request: Any, **kwargs: Any) -> None:
    """A session that signs out keeps no socket open (Django sends this before the flush)."""
    from chat.push import close_sockets_of_session

    session_key = getattr(getattr(request, "session", None), "session_key", None)
    if session_key:
        close_sockets_of_session(session_key)


def close_sockets_on_deactivation(sender: Any, user: Any, **kwargs: Any) -> None:
    from chat.push import close_sockets_of_user

    close_sockets_of_user(user.pk)


def push_status(sender: Any, appointment: Any, status: str, **kwargs: Any) -> None:
    from chat.push import push_chat_status

    push_chat_status(appointment_id=appointment.pk, status=status)
