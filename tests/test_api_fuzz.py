"""The published OpenAPI schema, fuzzed by schemathesis against the running app over real HTTP.

Signed in as a pet parent with a real appointment, so that requests reach the chat rather than
a 404. The run fails on a server error, a response or status code the schema does not describe,
an invalid request the API accepts, and on the warnings that say the schema and the API's real
validation disagree (most generated data refused) or that the fuzzer never got past 401/404.
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils.crypto import get_random_string

from tests.attachments import files
from tests.factories import send_message, upload_attachment

pytestmark = pytest.mark.django_db(transaction=True)

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
CONFIG = Path(__file__).with_name("schemathesis.toml")
HOOKS = Path(__file__).with_name("schemathesis_hooks.py")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


def signed_in_cookie(user: Any, csrf: str) -> str:
    client = Client()
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    return f"{settings.SESSION_COOKIE_NAME}={session}; {settings.CSRF_COOKIE_NAME}={csrf}"


def sent_photo(parent: Any, appointment: Any) -> Any:
    """A photo the parent uploaded and sent; returns its attachment id."""
    photo = upload_attachment(parent, appointment, files.image_bytes(), "photo.jpg")
    send_message(parent, appointment, "", message_type="image", attachments=[photo])
    return photo


@pytest.mark.slow
def test_fuzzer_finds_no_server_error_and_no_schema_mismatch(
    live_server, parent, appointment, tmp_path, settings
):
    # The fuzzer sends hundreds of requests a minute from one session: it checks the schema,
    # not the budgets (tests/chat/test_limits.py does).
    settings.VETCHAT_RATE_LIMITS = {}
    # given a signed-in pet parent with an appointment, and the schema the app serves
    csrf = get_random_string(32)
    env = {
        **os.environ,
        "VETCHAT_COOKIE": signed_in_cookie(parent, csrf),
        "VETCHAT_CSRF": csrf,
        "VETCHAT_APPOINTMENT": str(appointment.pk),
        # Many: a correction the fuzzer retracts refuses every later one (409).
        "VETCHAT_OWN_MESSAGES": ",".join(
            str(send_message(parent, appointment, f"to correct {n}").id) for n in range(150)
        ),
        "VETCHAT_PRESCRIPTION": str(
            send_message(
                appointment.veterinarian,
                appointment,
                "",
                message_type="prescription",
                payload={"medication": "Otomax"},
            ).id
        ),
        "VETCHAT_ATTACHMENT": str(sent_photo(parent, appointment)),
        "SCHEMATHESIS_HOOKS": str(HOOKS),
    }
    report = tmp_path / "report.json"

    # when schemathesis fuzzes every operation over HTTP
    started = time.monotonic()
    result = subprocess.run(
        [
            SCHEMATHESIS,
            "--config-file",
            CONFIG,
            "run",
            f"{live_server.url}/api/schema/?format=json",
            "--report",
            "json",
            "--report-json-path",
            report,
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    seconds = time.monotonic() - started
    output = f"{result.stdout}{result.stderr}\nschemathesis ran for {seconds:.1f} s\n"
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "schemathesis.txt").write_text(output)

    # then it finds nothing and warns of nothing, having really exercised the API
    assert result.returncode == 0, output
    summary = json.loads(report.read_text())
    assert summary["failures"] == [] and summary["errors"] == [], output
    assert not any(summary["warnings"].values()), output
    # Every operation but the care team's five of scheduled messages (schemathesis.toml).
    assert summary["operations"]["tested"] == summary["operations"]["total"] - 5 == 14, output
    assert summary["test_cases"]["generated"] >= 300, output
    accepted = {
        operation: sum(phase["accepted"] for phase in phases.values())
        for operation, phases in summary["valid_rates"].items()
    }
    assert accepted["POST /api/appointment-chat/messages"] >= 20, accepted
    assert accepted["GET /api/appointment-chat/messages"] >= 20, accepted
    # The endpoint's pattern is the allowed push services: most generated subscriptions are kept.
    assert accepted["POST /api/notifications/push-subscriptions/"] >= 20, accepted
