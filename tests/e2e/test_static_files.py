"""The chat page with its static files as production serves them: collected under hashed names
and served by WhiteNoise, the chat's modules importing each other by those names."""

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.test.testcases import LiveServerThread
from playwright.sync_api import expect

from tests.e2e.conftest import new_page

pytestmark = pytest.mark.django_db(transaction=True)

CHAT_MODULES = Path(__file__).resolve().parents[2] / "static" / "js" / "chat"
HASHED_SCRIPT = re.compile(r"/static/js/[a-z/-]+\.[0-9a-f]{12}\.js$")


@pytest.fixture
def production_server(settings, tmp_path) -> Iterator[str]:
    settings.STORAGES = {
        **django_settings.STORAGES,
        "staticfiles": {"BACKEND": "vetchat.storage.StaticFilesStorage"},
    }
    settings.STATIC_ROOT = tmp_path / "static"
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "localhost"]
    # The chat page's own files; the admin's and the API docs' bundles are most of the
    # compressing and none of this page.
    call_command(
        "collectstatic",
        interactive=False,
        verbosity=0,
        ignore_patterns=["admin/*", "rest_framework/*", "drf_spectacular_sidecar/*"],
    )
    # No static handler of the test server's own: WhiteNoise's middleware serves the collected
    # files, as it does in production.
    server = LiveServerThread("localhost", static_handler=lambda handler: handler)
    server.daemon = True
    server.start()
    server.is_ready.wait()
    if server.error:
        raise server.error
    yield f"http://localhost:{server.port}"
    server.terminate()


def test_the_chat_loads_its_modules_by_their_hashed_names(
    new_context, production_server, appointment, parent
):
    page = new_page(new_context(parent, production_server))
    scripts: dict[str, int] = {}
    page.on(
        "response",
        lambda response: (
            scripts.__setitem__(response.url, response.status)
            if "/static/js/" in response.url
            else None
        ),
    )

    page.goto(f"{production_server}/appointments/{appointment.pk}/")
    page.get_by_label("Your message").fill("Loaded from hashed files")
    page.get_by_label("Your message").press("Enter")

    expect(page.locator(".message.mine .receipt")).to_have_text(re.compile("Sent|Read"))
    assert page.js_errors == []
    for url, status in scripts.items():
        assert HASHED_SCRIPT.search(url), url
        assert status == 200, url
    chat_modules = {
        re.sub(r"\.[0-9a-f]{12}\.js$", ".js", url.rsplit("/", 1)[1])
        for url in scripts
        if "/static/js/chat/" in url
    }
    assert chat_modules == {path.name for path in CHAT_MODULES.glob("*.js")}
