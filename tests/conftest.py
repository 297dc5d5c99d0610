import pytest
from django.core.cache import cache
from django.test import Client

from accounts.middleware import session_mark_mfa_checked, session_stamp
from tests.factories import (
    AppointmentFactory,
    PetParentFactory,
    StaffFactory,
    VetFactory,
)


@pytest.fixture(autouse=True)
def empty_cache() -> None:
    """Rate-limit counters and used one-time codes live in the cache: each test starts afresh."""
    cache.clear()


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
        client = Client()
        if user is not None:
            client.force_login(user)
            # as allauth's sign-in does, so the first request need not write the session
            session = client.session
            session_stamp(session, user)
            session_mark_mfa_checked(session)
            session.save()
        return client

    return make
