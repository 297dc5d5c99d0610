import pytest

from chat.services import chat_get_or_create, message_send

URL = "/api/appointment-chat/messages"
TEST_URL = "/api/appointment-chat/test"


@pytest.fixture
def chat(appointment):
    return chat_get_or_create(appointment=appointment)


@pytest.fixture
def send(chat):
    """Send through the real service: send(user, "text", **options) -> Message."""

    def _send(sender, content: str = "hello", **options):
        message, _ = message_send(chat=chat, sender=sender, content=content, **options)
        return message

    return _send


def post(client, body: dict):
    return client.post(URL, body, content_type="application/json")
