import pytest

from chat import events
from chat.services import chat_get_or_create
from tests.factories import send_message

URL = "/api/appointment-chat/messages"
TEST_URL = "/api/appointment-chat/test"


@pytest.fixture
def chat(appointment):
    return chat_get_or_create(appointment_id=appointment.pk)


@pytest.fixture
def send(chat, appointment):
    """Send through the real service: send(user, "text", **options) -> MessageRow."""

    def _send(sender, content: str = "hello", **options):
        return send_message(sender, appointment, content, **options)

    return _send


def post(client, body: dict):
    return client.post(URL, body, content_type="application/json")


@pytest.fixture
def heard():
    """Every event published after commit, in order."""
    received: list = []
    events.subscribe(received.append)
    yield received
    events.unsubscribe(received.append)
