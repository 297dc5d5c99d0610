"""The chain's keys live outside the database, each link names its key, and keys rotate."""

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command

from chat.integrity import keyring, parse_keys
from chat.models import ChainLink
from tests.factories import send_message

ROOT = Path(__file__).resolve().parents[2]
OLD = "old:the-old-key-of-at-least-thirty-two-characters"
NEW = "new:the-new-key-of-at-least-thirty-two-characters"


def verify() -> str:
    out = StringIO()
    call_command("verify_chat_integrity", stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("k1:short", "shorter than 32"),
        ("k 1:" + "x" * 40, "each entry is id:secret"),
        ("x" * 40, "each entry is id:secret"),
        (f"{OLD},{OLD}", "listed twice"),
    ],
)
def test_a_malformed_key_is_refused(text, error):
    with pytest.raises(ImproperlyConfigured, match=error):
        parse_keys(text, source="VETCHAT_INTEGRITY_KEYS")


def test_keys_are_read_from_a_file(settings, tmp_path):
    path = tmp_path / "integrity.keys"
    path.write_text(f"# the record's keys\n{NEW}\n{OLD}\n")
    settings.VETCHAT_INTEGRITY_KEYS = ""
    settings.VETCHAT_INTEGRITY_KEY_FILE = str(path)
    ring = keyring()
    assert ring.current == "new"
    assert set(ring.keys) == {"new", "old"}


def test_the_key_id_setting_names_the_signing_key(settings):
    settings.VETCHAT_INTEGRITY_KEYS = f"{NEW},{OLD}"
    settings.VETCHAT_INTEGRITY_KEY_ID = "old"
    assert keyring().current == "old"
    settings.VETCHAT_INTEGRITY_KEY_ID = "gone"
    with pytest.raises(ImproperlyConfigured, match="not among the configured keys"):
        keyring()


@pytest.mark.django_db
def test_links_made_before_a_rotation_verify_with_the_older_key(settings, appointment, parent):
    # given messages linked under the old key
    settings.VETCHAT_INTEGRITY_KEYS = OLD
    send_message(parent, appointment, "Before")
    # when a new key takes over, the old one kept for verifying
    settings.VETCHAT_INTEGRITY_KEYS = f"{NEW},{OLD}"
    send_message(parent, appointment, "After")
    # then each link names its key and the whole chain verifies
    keys = list(ChainLink.objects.order_by("position").values_list("key_id", flat=True))
    assert keys == ["old", "new"]
    assert "every chain intact" in verify()
    # and without the old key, its links cannot be checked
    settings.VETCHAT_INTEGRITY_KEYS = NEW
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("verify_chat_integrity", stdout=StringIO(), stderr=err)
    assert "its link names key 'old', not configured" in err.getvalue()


def test_the_app_refuses_to_start_without_a_key_when_debug_is_off():
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "VETCHAT_INTEGRITY_")) or key == "DJANGO_SETTINGS_MODULE"
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={**env, "DJANGO_SECRET_KEY": "x" * 60, "DJANGO_SETTINGS_MODULE": "vetchat.settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "VETCHAT_INTEGRITY_KEYS is not set" in result.stderr
