"""The ICE servers a call's browsers get: TURN credentials by coturn's REST-style rule, checked
by hand and by a real coturn (Debian's, started by scripts/coturn.sh as `make run` does)."""

import base64
import hashlib
import hmac
import os
import shutil
import subprocess
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from calls.ice import ice_servers
from tests.calls.turn_client import ALLOCATE_SUCCESS, allocate
from tests.servers import ROOT

SECRET = "test-turn-secret-0123456789"
NOW = datetime(2026, 3, 3, 14, 3, tzinfo=UTC)


@pytest.fixture
def turn_settings(settings):
    settings.VETCHAT_STUN_URLS = ["stun:stun.example.org:3478"]
    settings.VETCHAT_TURN_URLS = ["turn:turn.example.org:3478?transport=udp"]
    settings.VETCHAT_TURN_SECRET = SECRET
    settings.VETCHAT_TURN_TTL_SECONDS = 600
    return settings


def test_turn_credentials_follow_coturns_rest_rule(turn_settings):
    call_id, user_id = uuid.uuid4(), uuid.uuid4()

    answer = ice_servers(call_id=call_id, user_id=user_id, now=NOW)

    stun, turn = answer["iceServers"]
    assert stun == {"urls": ["stun:stun.example.org:3478"]}
    expiry, named_call, named_user = turn["username"].split(":")
    assert int(expiry) == int((NOW + timedelta(seconds=600)).timestamp())
    assert (named_call, named_user) == (call_id.hex, user_id.hex)
    expected = hmac.new(SECRET.encode(), turn["username"].encode(), hashlib.sha1).digest()
    assert base64.b64decode(turn["credential"]) == expected
    assert answer["expiresAt"] == (NOW + timedelta(seconds=600)).isoformat()


def test_each_user_and_call_gets_its_own_credential(turn_settings):
    call_id = uuid.uuid4()
    one = ice_servers(call_id=call_id, user_id=uuid.uuid4(), now=NOW)["iceServers"][1]
    two = ice_servers(call_id=call_id, user_id=uuid.uuid4(), now=NOW)["iceServers"][1]
    assert one["username"] != two["username"] and one["credential"] != two["credential"]


def test_without_a_turn_secret_only_stun_is_offered(turn_settings):
    turn_settings.VETCHAT_TURN_SECRET = ""
    answer = ice_servers(call_id=uuid.uuid4(), user_id=uuid.uuid4(), now=NOW)
    assert answer["iceServers"] == [{"urls": ["stun:stun.example.org:3478"]}]


@pytest.fixture(scope="module")
def coturn(tmp_path_factory):
    """Debian's coturn on loopback with the tests' secret; its absence fails the run, since the
    calls' relay would be untested."""
    assert shutil.which("turnserver"), "coturn is missing: scripts/packages.sh test installs it"
    folder = tmp_path_factory.mktemp("coturn")
    script = ROOT / "scripts" / "coturn.sh"
    env = {**os.environ, "VETCHAT_TURN_SECRET": SECRET}
    urls = subprocess.run(
        [str(script), "start", str(folder)], check=True, capture_output=True, text=True, env=env
    ).stdout.strip()
    yield urls.split(",")
    subprocess.run([str(script), "stop", str(folder)], check=True, env=env)


def relay_of(coturn_urls: list[str]) -> tuple[str, int]:
    address = urlsplit(coturn_urls[0].replace("turn:", "turn://", 1))
    return address.hostname, address.port


def test_a_real_coturn_relays_for_the_credentials_a_call_issues(coturn, settings):
    settings.VETCHAT_TURN_URLS, settings.VETCHAT_TURN_SECRET = coturn, SECRET
    [turn] = ice_servers(call_id=uuid.uuid4(), user_id=uuid.uuid4(), now=timezone.now())[
        "iceServers"
    ]
    host, port = relay_of(coturn)

    answer = allocate(host, port, turn["username"], turn["credential"])

    assert answer.kind == ALLOCATE_SUCCESS, answer.error
    assert answer.relayed_port > 0


def test_a_real_coturn_refuses_a_wrong_or_expired_credential(coturn, settings):
    settings.VETCHAT_TURN_URLS, settings.VETCHAT_TURN_SECRET = coturn, SECRET
    [turn] = ice_servers(call_id=uuid.uuid4(), user_id=uuid.uuid4(), now=timezone.now())[
        "iceServers"
    ]
    host, port = relay_of(coturn)
    # signed with another secret
    assert allocate(host, port, turn["username"], turn["credential"][::-1]).error == 401

    # signed right, but past its expiry
    long_ago = timezone.now() - timedelta(hours=2)
    [expired] = ice_servers(call_id=uuid.uuid4(), user_id=uuid.uuid4(), now=long_ago)["iceServers"]
    assert allocate(host, port, expired["username"], expired["credential"]).error == 401
