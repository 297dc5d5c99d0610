import pytest
from django.core.cache import cache
from django.test import Client

from tests.factories import (
    AppointmentFactory,
    PetParentFactory,
    StaffFactory,
    VetFactory,
)
from tests.signin import signed_in_client


@pytest.fixture(autouse=True)
def empty_cache() -> None:
    """Rate-limit counters and used one-time codes live in the cache: each test starts afresh."""
    cache.clear()


@pytest.fixture(autouse=True)
def fresh_clinic_settings():
    """The clinic's settings are kept per process: each test reads what it set up."""
    from clinic.selectors import forget_clinic_snapshot

    forget_clinic_snapshot()
    yield
    forget_clinic_snapshot()


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
