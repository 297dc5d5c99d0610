from typing import Any

from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "chat"
    verbose_name = "Chat"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_out

        from accounts.signals import user_access_changed
        from appointments.signals import access_revoked, appointment_status_changed
        from attachments.services import upload_guards
        from chat.events import subscribe
        from chat.push import push_chat_event
        from chat.rules import refuse_files_when_read_only

        subscribe(push_chat_event)
        if refuse_files_when_read_only not in upload_guards:
            upload_guards.append(refuse_files_when_read_only)
        user_logged_out.connect(close_sockets_on_sign_out, dispatch_uid="chat.push.sign_out")
        user_access_changed.connect(recheck_user, dispatch_uid="chat.push.user")
        appointment_status_changed.connect(push_status, dispatch_uid="chat.push.status")
        access_revoked.connect(recheck_access, dispatch_uid="chat.push.access")


def close_sockets_on_sign_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """A session that signs out keeps no socket open (Django sends this before the flush)."""
    from chat.access_versions import access_changed
    from chat.push import close_sockets_of_session

    if user is not None:
        access_changed(user_ids=[user.pk])
    session_key = getattr(getattr(request, "session", None), "session_key", None)
    if session_key:
        close_sockets_of_session(session_key)


def recheck_user(sender: Any, user: Any, **kwargs: Any) -> None:
    """Deactivated, another role, another password: every socket of the account asks again."""
    from chat.access_versions import access_changed
    from chat.push import recheck_access_of_user

    access_changed(user_ids=[user.pk])
    recheck_access_of_user(user.pk)


def push_status(sender: Any, appointment: Any, status: str, **kwargs: Any) -> None:
    from chat.push import push_chat_status

    push_chat_status(appointment_id=appointment.pk, status=status)


def recheck_access(
    sender: Any, appointment_ids: list[Any], user_ids: list[Any], **kwargs: Any
) -> None:
    """Sockets of users who may have lost access check again now and close if they did; every
    later event of those chats is checked against the new versions, should this push be lost."""
    from chat.access_versions import access_changed
    from chat.push import recheck_access_of_user

    access_changed(appointment_ids=appointment_ids)
    for user_id in user_ids:
        recheck_access_of_user(user_id)
