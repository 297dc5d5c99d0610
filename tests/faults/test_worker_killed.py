"""A gunicorn worker killed with SIGKILL while 200 sends are in flight: clients retry with their
clientId, and every message, acknowledged before the kill or retried after it, is stored once."""

import http.client
import json
import os
import signal
import threading
import time
import urllib.error
from http import HTTPStatus
from pathlib import Path

import pytest

from tests.faults.conftest import Browserless, demo_appointment_id, running_stack, stored_client_ids

SENDERS = 8
SENDS_EACH = 25  # 200 in all


def workers_of(master: int) -> list[int]:
    return [int(pid) for pid in Path(f"/proc/{master}/task/{master}/children").read_text().split()]


@pytest.mark.faults
def test_a_killed_worker_loses_no_message_and_stores_none_twice():
    with running_stack(workers=2) as stack:
        appointment_id = demo_appointment_id(stack.env)
        parent = Browserless(stack.base)
        parent.sign_in("parent@example.com", "vetchat-demo")
        acknowledged: dict[str, int] = {}
        cut_off = 0  # answers lost to the kill, each retried
        lock = threading.Lock()
        half_sent = threading.Event()

        def sender(number: int) -> None:
            nonlocal cut_off
            for index in range(SENDS_EACH):
                client_id = f"kill-{number}-{index}"
                body = json.dumps(
                    {"appointmentId": appointment_id, "content": client_id, "clientId": client_id}
                ).encode()
                while True:  # the same clientId until the server acknowledges it
                    try:
                        status = stack.send(parent, body)[0]
                    except (urllib.error.URLError, http.client.HTTPException, ConnectionError):
                        status = None
                    if status in {HTTPStatus.OK, HTTPStatus.CREATED}:
                        with lock:
                            acknowledged[client_id] = acknowledged.get(client_id, 0) + 1
                            if len(acknowledged) >= SENDERS * SENDS_EACH // 2:
                                half_sent.set()
                        break
                    with lock:
                        cut_off += 1
                    time.sleep(0.1)

        threads = [threading.Thread(target=sender, args=(n,)) for n in range(SENDERS)]
        for thread in threads:
            thread.start()
        # when half the sends are in, a worker dies mid-request
        assert half_sent.wait(timeout=120)
        victim = workers_of(stack.server.pid)[0]
        os.kill(victim, signal.SIGKILL)
        for thread in threads:
            thread.join(timeout=180)
        assert not any(thread.is_alive() for thread in threads)

        # then the master replaced the worker, every send was acknowledged in the end, and
        # each is stored exactly once, including those whose answer the kill cut off
        assert victim not in workers_of(stack.server.pid)
        assert len(acknowledged) == SENDERS * SENDS_EACH
        stored = stored_client_ids(stack.env, "kill-")
        assert set(stored) == set(acknowledged)
        assert set(stored.values()) == {1}, {k: v for k, v in stored.items() if v != 1}
        print(f"\n{cut_off} answers cut off by the kill and retried")
