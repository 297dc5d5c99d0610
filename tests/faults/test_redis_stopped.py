"""Redis stopped under a running app: signing in, pages, polls and sends keep working (the
cache and the channel layer fail open, sessions live in PostgreSQL), and nothing answers 500."""

import json
import tempfile
from http import HTTPStatus
from pathlib import Path

import pytest

from tests.faults.conftest import Browserless, demo_appointment_id, running_stack
from tests.servers import RedisServer


@pytest.mark.faults
def test_with_redis_stopped_the_app_signs_in_serves_pages_and_stores_sends():
    redis = RedisServer(Path(tempfile.mkdtemp(prefix="vetchat-faults-redis-"))).start()
    try:
        with running_stack({"REDIS_URL": redis.url}) as stack:
            appointment_id = demo_appointment_id(stack.env)
            earlier = Browserless(stack.base)
            earlier.sign_in("parent@example.com", "vetchat-demo")

            # when Redis stops
            redis.stop()

            # then a session made before still works, and a new sign-in succeeds
            newcomer = Browserless(stack.base)
            newcomer.sign_in("parent2@example.com", "vetchat-demo")
            for path in ("/", "/appointments/", f"/appointments/{appointment_id}/"):
                status, headers, body, _ = earlier.request("GET", path)
                assert status == HTTPStatus.OK, (path, status, body[:300])
                assert headers["Content-Type"].startswith("text/html")
            body = json.dumps({"appointmentId": appointment_id, "content": "Redis is away"})
            status, _, answer, _ = stack.send(earlier, body.encode())
            assert status == HTTPStatus.CREATED, answer
            poll = f"/api/appointment-chat/messages?appointmentId={appointment_id}&limit=5"
            status, _, answer, _ = earlier.request("GET", poll)
            assert status == HTTPStatus.OK
            # (outside the demo clinic's hours its after-hours reply follows it)
            contents = [m["content"] for m in json.loads(answer)["messages"]]
            assert "Redis is away" in contents, contents
            # and readiness says what is missing, for the load balancer
            status, _, answer, _ = earlier.request("GET", "/readyz")
            assert status == HTTPStatus.SERVICE_UNAVAILABLE, answer
    finally:
        redis.stop()
