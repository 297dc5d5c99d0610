"""The chat page with its static files as production serves them: collected under hashed names
and served by WhiteNoise, the chat's modules importing each other by those names."""

import re
from collections.abc import Iterator

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.test import Client
from django.test.testcases import LiveServerThread
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)

HASHED_MODULE = re.compile(r"/static/js/chat/[a-z]+\.[0-9a-f]{12}\.js$")


@pytest.fixture
def production_server(settings, tmp_path) -> Iterator[str]:
    settings.STORAGES = {
        **django_settings.STORAGES,
        "staticfiles": {"BACKEND": "vetchat.storage.StaticFilesStorage"},
    }
    settings.STATIC_ROOT = tmp_path / "static"
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "localhost"]
    call_command("collectstatic", interactive=False, verbosity=0)
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
    browser, production_server, appointment, parent
):
    client = Client()
    client.force_login(parent)
    context = browser.new_context()
    context.add_cookies(
        [
            {
                "name": django_settings.SESSION_COOKIE_NAME,
                "value": client.cookies[django_settings.SESSION_COOKIE_NAME].value,
                "url": production_server,
            }
        ]
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    modules: dict[str, int] = {}
    page.on(
        "response",
        lambda response: (
            modules.__setitem__(response.url, response.status)
            if "/static/js/chat/" in response.url
            else None
        ),
    )

    page.goto(f"{production_server}/appointments/{appointment.pk}/")
    page.get_by_label("Your message").fill("Loaded from hashed files")
    page.get_by_label("Your message").press("Enter")

    expect(page.locator(".message.mine .receipt")).to_have_text(re.compile("Sent|Read"))
    assert errors == []
    assert sorted(
        re.sub(r"\.[0-9a-f]{12}\.js$", ".js", url.rsplit("/", 1)[1]) for url in modules
    ) == [
        "actions.js",
        "composer.js",
        "main.js",
        "store.js",
        "transport.js",
        "view.js",
    ]
    for url, status in modules.items():
        assert HASHED_MODULE.search(url), url
        assert status == 200, url
    context.close()
