import asyncio
import os
import tempfile
from pathlib import Path

import pytest
import pytest_asyncio
from channels.layers import get_channel_layer
from channels_redis.core import RedisChannelLayer
from django.core.cache import cache
from django.core.management import CommandError
from django.test import Client, TransactionTestCase, override_settings
from django.test.testcases import QuietWSGIRequestHandler
from psycopg.errors import DeadlockDetected

from tests.factories import (
    AppointmentFactory,
    PetParentFactory,
    StaffFactory,
    VetFactory,
)
from tests.signin import signed_in_client

# Tests of a minute or more: they start first, spread over the parallel workers, so that the run
# does not end with one worker still busy on them.
LONG_RUNNING = ("bench", "faults", "slow")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: not any(map(item.get_closest_marker, LONG_RUNNING)))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> object:
    """Playwright's sync API runs its event loop in the main thread, beside the test, for as long
    as the worker's browser lives; any other test there would see that loop as running, and
    asyncio and asgiref refuse to start one of their own. Those tests run with it out of sight."""
    if item.get_closest_marker("e2e"):
        return (yield)
    browser_loop = asyncio.events._get_running_loop()
    asyncio.events._set_running_loop(None)
    try:
        return (yield)
    finally:
        asyncio.events._set_running_loop(browser_loop)


def flush_retrying_deadlocks(flush):
    """A live server's request still reading when a test ends (a poll answered after the page
    closed) can deadlock the flush's TRUNCATE; PostgreSQL then aborts one side. When the flush
    is that side it is run again, once the reader is gone."""

    def teardown(self) -> None:
        for attempt in range(3):
            try:
                return flush(self)
            except CommandError as error:
                deadlock = isinstance(getattr(error.__cause__, "__cause__", None), DeadlockDetected)
                if attempt == 2 or not deadlock:
                    raise

    return teardown


TransactionTestCase._fixture_teardown = flush_retrying_deadlocks(
    TransactionTestCase._fixture_teardown
)

# The live server writes a response's status line, headers and body in separate small sends; with
# Nagle's algorithm on, each send after the first waits for the client's delayed ACK (40 ms on
# Linux). A request the app answers in 0.5 ms took 48 ms over the socket, and 2 ms with it off.
QuietWSGIRequestHandler.disable_nagle_algorithm = True


@pytest.fixture(autouse=True)
def empty_cache() -> None:
    """Rate-limit counters and used one-time codes live in the cache: each test starts afresh."""
    cache.clear()


@pytest.fixture(scope="session", autouse=True)
def private_media_root() -> Path:
    """Uploaded files of the test run go to a folder of their own, removed afterwards; servers
    the tests start inherit it through the environment."""
    with tempfile.TemporaryDirectory(prefix="vetchat-test-media-") as folder:
        os.environ["VETCHAT_MEDIA_ROOT"] = folder
        storages = {
            **settings_storages(),
            "attachments": {
                "BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": folder, "base_url": None},
            },
        }
        with override_settings(VETCHAT_MEDIA_ROOT=Path(folder), STORAGES=storages):
            yield Path(folder)


def settings_storages() -> dict:
    from django.conf import settings

    return dict(settings.STORAGES)


@pytest.fixture(autouse=True)
def fresh_clinic_settings():
    """The clinic's settings are kept per process: each test reads what it set up."""
    from clinic.selectors import forget_clinic_snapshot

    forget_clinic_snapshot()
    yield
    forget_clinic_snapshot()


@pytest_asyncio.fixture
async def redis_layer():
    """The channel layer on the tests' Redis, emptied after the test."""
    layer = get_channel_layer()
    assert isinstance(layer, RedisChannelLayer), "the tests run with REDIS_URL set"
    yield layer
    await layer.flush()


@pytest.fixture
def parent(db):
    return PetParentFactory(name="Alex Morgan")


@pytest.fixture
def vet(db):
    return VetFactory(name="Dr. Jane Foster")


@pytest.fixture
def appointment(parent, vet):
    return AppointmentFactory(pet__owner=parent, veterinarian=vet)


@pytest.fixture
def other_parent(db):
    return PetParentFactory()


@pytest.fixture
def other_vet(db):
    return VetFactory()


@pytest.fixture
def staff(db):
    return StaffFactory(is_superuser=True)


@pytest.fixture
def client_for():
    """A test client signed in as the given user, or anonymous for None."""

    def make(user) -> Client:
        return Client() if user is None else signed_in_client(user)

    return make


@pytest.fixture
def transcript_root(settings, tmp_path) -> Path:
    """Filed transcripts and integrity checkpoints go to a folder of this test's own."""
    root = tmp_path / "private-transcripts"
    settings.STORAGES = {
        **settings.STORAGES,
        "transcripts": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(root)},
        },
    }
    return root
