import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_django(args: list[str], **env: str) -> subprocess.CompletedProcess:
    base = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("DJANGO_") or key == "DJANGO_SETTINGS_MODULE"
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_refuses_to_start_without_a_secret_key_when_debug_is_off():
    result = run_django(["check"])
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


def test_debug_is_off_unless_asked_for():
    result = run_django(
        ["shell", "-c", "from django.conf import settings; print(settings.DEBUG)"],
        DJANGO_SECRET_KEY="x" * 60,
    )
    assert result.stdout.strip().splitlines()[-1] == "False", result.stderr


def test_deploy_check_is_clean_with_production_settings():
    result = run_django(
        ["check", "--deploy", "--fail-level", "DEBUG"],
        DJANGO_SECRET_KEY="kq3-Jd8s_1LmZx9vQw7PzR2tYb6NcE4hU0aGfKjS5oXiVlT-pWmB",
        DJANGO_ALLOWED_HOSTS="chat.clinic.example",
        DJANGO_HTTPS="1",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def hsts_of(**env: str) -> str:
    """The Strict-Transport-Security header a secure request would get under these settings."""
    result = run_django(
        [
            "shell",
            "-c",
            "from django.test import RequestFactory;"
            "from django.middleware.security import SecurityMiddleware;"
            "from django.http import HttpResponse;"
            "request = RequestFactory().get('/', secure=True, HTTP_HOST='chat.clinic.example');"
            "print(SecurityMiddleware(lambda r: HttpResponse())(request)"
            "['Strict-Transport-Security'])",
        ],
        DJANGO_SECRET_KEY="x" * 60,
        DJANGO_ALLOWED_HOSTS="chat.clinic.example",
        DJANGO_HTTPS="1",
        **env,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_hsts_asks_for_no_preload_unless_the_site_chose_it():
    assert hsts_of() == "max-age=31536000; includeSubDomains"
    assert hsts_of(DJANGO_HSTS_PRELOAD="1") == "max-age=31536000; includeSubDomains; preload"
