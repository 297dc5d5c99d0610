import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from accounts.models import User
from tests.factories import PetParentFactory, VetFactory


@pytest.mark.django_db
def test_email_is_stored_lowercase_and_unique_regardless_of_case():
    user = User.objects.create_user("Alex@Example.COM", "pw-long-enough", name="Alex")
    assert user.email == "alex@example.com"
    with pytest.raises(ValidationError):
        User.objects.create_user("ALEX@example.com", "pw-long-enough", name="Other")


@pytest.mark.django_db
def test_database_refuses_emails_differing_only_in_case():
    PetParentFactory(email="sam@example.com")
    with pytest.raises(IntegrityError):
        User.objects.bulk_create([User(email="SAM@example.com", name="Sam")])


@pytest.mark.django_db
def test_only_the_staff_role_reaches_the_admin():
    assert not PetParentFactory().is_staff
    assert not VetFactory().is_staff
    admin = User.objects.create_superuser("boss@example.com", "pw-long-enough", name="Boss")
    assert admin.is_staff and admin.is_superuser
    assert admin.role == User.Role.STAFF


@pytest.mark.parametrize(
    ("name", "initials"),
    [("Alex Morgan", "AM"), ("Dr. Jane Foster", "JF"), ("cher", "C"), ("", "S")],
)
def test_initials_for_the_avatar(name, initials):
    assert User(name=name, email="sam@example.com").initials == initials
