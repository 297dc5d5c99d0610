"""PostgreSQL restarted under load: gunicorn keeps answering (503 JSON while the database is
away, never a 500), recovers without a restart of its own, and every send it acknowledged is
stored exactly once while clients retry with their clientId."""

import json
import threading
import time
from http import HTTPStatus

import pytest

from tests.faults.conftest import (
    POSTGRES,
    REQUEST_TIMEOUT,
    Browserless,
    demo_appointment_id,
    run,
    running_stack,
    stored_client_ids,
)


@pytest.fixture
def stack():
    with running_stack() as running:
        yield running.base, running.pgdir, running.env


@pytest.mark.faults
def test_a_database_restart_under_load_costs_no_message_and_no_500(stack):
    base, pgdir, env = stack
    appointment_id = demo_appointment_id(env)
    parent = Browserless(base)
    parent.sign_in("parent@example.com", "vetchat-demo")
    poll = f"/api/appointment-chat/messages?appointmentId={appointment_id}&markRead=false"

    answers: list[tuple[float, int, str, float]] = []  # started, status, content type, seconds
    acknowledged: dict[str, int] = {}
    stop = threading.Event()

    def record(started: float, status: int, headers: dict, seconds: float) -> None:
        answers.append((started, status, headers.get("Content-Type", ""), seconds))

    def poller() -> None:
        while not stop.is_set():
            started = time.monotonic()
            status, headers, _, seconds = parent.request("GET", poll)
            record(started, status, headers, seconds)

    def sender(number: int) -> None:
        client_index = 0
        while not stop.is_set():
            client_id = f"fault-{number}-{client_index}"
            body = json.dumps(
                {"appointmentId": appointment_id, "content": client_id, "clientId": client_id}
            ).encode()
            while True:  # retry the same clientId until the server acknowledges it
                started = time.monotonic()
                status, headers, _, seconds = parent.request(
                    "POST",
                    "/api/appointment-chat/messages",
                    body,
                    {
                        "Content-Type": "application/json",
                        "X-CSRFToken": parent.csrf(),
                        "Referer": base + "/",
                    },
                )
                record(started, status, headers, seconds)
                if status in {HTTPStatus.OK, HTTPStatus.CREATED}:
                    acknowledged[client_id] = acknowledged.get(client_id, 0) + 1
                    break
                time.sleep(0.2)
            client_index += 1

    workers = [threading.Thread(target=poller), *(
        threading.Thread(target=sender, args=(n,)) for n in range(3)
    )]  # fmt: skip
    for worker in workers:
        worker.start()
    time.sleep(2)
    down_from = time.monotonic()
    base_env = {k: v for k, v in env.items() if k != "DATABASE_URL"}
    run(str(POSTGRES), "stop", str(pgdir), env=base_env)
    time.sleep(2)  # the database is away for a while, not only for a blink
    run(str(POSTGRES), "start", str(pgdir), "fast", env=base_env)
    up_at = time.monotonic()
    time.sleep(4)
    stop.set()
    for worker in workers:
        worker.join(timeout=30)

    # given load before, during and after the outage
    during = [a for a in answers if down_from + 0.5 <= a[0] <= up_at - 0.5]
    assert during, "no request reached the app while the database was away"
    # then nothing ever answered 500, or hung past the bound
    statuses = {status for _, status, _, _ in answers}
    assert statuses <= {HTTPStatus.OK, HTTPStatus.CREATED, HTTPStatus.SERVICE_UNAVAILABLE}, statuses
    assert max(seconds for *_, seconds in answers) < REQUEST_TIMEOUT
    # and every refusal was the JSON 503
    refusals = [a for a in answers if a[1] == HTTPStatus.SERVICE_UNAVAILABLE]
    assert refusals and all(ctype.startswith("application/json") for _, _, ctype, _ in refusals)
    # the app came back by itself
    after = [a for a in answers if a[0] > up_at + 1.5]
    assert after and all(status in {HTTPStatus.OK, HTTPStatus.CREATED} for _, status, *_ in after)
    assert parent.request("GET", poll)[0] == HTTPStatus.OK

    # every acknowledged send is stored exactly once
    stored = stored_client_ids(env, "fault-")
    assert set(stored) >= set(acknowledged)
    assert all(count == 1 for count in stored.values()), stored
