import os
import secrets
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings as django_settings

# Playwright's sync API runs an event loop in this thread; the database calls of the tests
# themselves are still plain synchronous ones.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from tests.signin import signed_in_client

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"

# Expectations are met the moment they hold; the longer bound is for a machine busy with the
# parallel workers, where an upload's processing or a poll can take several seconds.
expect.set_options(timeout=20_000)
CHROMIUM = "/usr/bin/chromium"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser() -> Browser:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                # Video calls (test_video_call.py): a generated camera and microphone, and no
                # permission prompt; a context still grants or withholds them itself.
                "--use-fake-device-for-media-stream",
                "--use-fake-ui-for-media-stream",
            ],
        )
        yield browser
        browser.close()


@dataclass(frozen=True)
class TurnServer:
    url: str  # VETCHAT_TURN_URLS: "turn:127.0.0.1:<port>?transport=udp,…?transport=tcp"
    secret: str  # coturn's static-auth-secret, from which the app signs each call's credentials


COTURN_SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "coturn.sh"


@pytest.fixture(scope="session")
def turn_server(tmp_path_factory) -> Iterator[TurnServer]:
    """The real coturn, on loopback, once for the session: the video call tests force their
    media through it. Missing, the tests fail: a relay that is never tried proves nothing.
    `make test` starts one for the whole run (scripts/test.sh exports its URL and secret)."""
    if os.environ.get("VETCHAT_TURN_URLS") and os.environ.get("VETCHAT_TURN_SECRET"):
        yield TurnServer(
            url=os.environ["VETCHAT_TURN_URLS"], secret=os.environ["VETCHAT_TURN_SECRET"]
        )
        return
    folder = tmp_path_factory.mktemp("coturn")
    secret = secrets.token_urlsafe(24)
    env = {**os.environ, "VETCHAT_TURN_SECRET": secret}
    started = subprocess.run(
        [str(COTURN_SCRIPT), "start", str(folder)], env=env, capture_output=True, text=True
    )
    if started.returncode != 0:
        pytest.fail(f"coturn did not start ({COTURN_SCRIPT}): {started.stderr or started.stdout}")
    url = started.stdout.strip().splitlines()[-1]
    yield TurnServer(url=url, secret=secret)
    subprocess.run([str(COTURN_SCRIPT), "stop", str(folder)], env=env, check=False)


@pytest.fixture(autouse=True)
def unhashed_static_files(settings) -> None:
    """The live server serves static files through the finders, which know no hashed names."""
    settings.STORAGES = {
        **django_settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def new_context(browser):
    """Browser contexts for one test, signed in as the user when one is given. They are closed
    at the test's end, each page only once none of its requests is in flight: a poll or a
    thumbnail still being answered when the test database is flushed deadlocks the flush."""
    contexts: list[BrowserContext] = []

    def make(
        user=None, url: str = "", width: int = 1280, height: int = 800, **options
    ) -> BrowserContext:
        context = browser.new_context(viewport={"width": width, "height": height}, **options)
        context.on("page", track_requests)
        if user is not None:
            session = signed_in_client(user).cookies[django_settings.SESSION_COOKIE_NAME].value
            context.add_cookies(
                [{"name": django_settings.SESSION_COOKIE_NAME, "value": session, "url": url}]
            )
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        for page in context.pages:
            settle(page)
        context.close()


def new_page(context: BrowserContext) -> Page:
    """A page of the context that keeps the script errors it meets, as `page.js_errors`."""
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.js_errors = errors
    return page


@pytest.fixture
def page_for(new_context, live_server):
    """A page in a browser context of its own, signed in as the user."""

    def make(user, width: int = 1280, height: int = 800) -> Page:
        return new_page(new_context(user, live_server.url, width=width, height=height))

    return make


def track_requests(page: Page) -> None:
    in_flight: set = set()
    page.in_flight = in_flight
    # Playwright takes Python functions as handlers, not a set's bound methods.
    page.on("request", lambda request: in_flight.add(request))
    page.on("requestfinished", lambda request: in_flight.discard(request))
    page.on("requestfailed", lambda request: in_flight.discard(request))


def settle(page: Page) -> None:
    """Close a page only once no request of its is in flight: a poll or a thumbnail still
    being answered when the test database is flushed deadlocks the flush against its read."""
    page.route("**/*", lambda route: route.abort())  # nothing new from here on
    # Up to 30 s: on a machine busy with parallel workers a poll can take seconds to answer.
    for _ in range(600):
        if not getattr(page, "in_flight", None):
            break
        page.wait_for_timeout(50)


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
