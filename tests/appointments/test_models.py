from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from appointments.models import Appointment
from tests.factories import AppointmentFactory, PetFactory, PetParentFactory, VetFactory


@pytest.mark.django_db
def test_a_valid_appointment_passes_validation():
    AppointmentFactory().full_clean()


@pytest.mark.django_db
def test_the_veterinarian_must_have_the_veterinarian_role():
    appointment = AppointmentFactory.build(
        pet=PetFactory(), veterinarian=PetParentFactory(), pet_parent=None
    )
    appointment.pet_parent = appointment.pet.owner
    with pytest.raises(ValidationError) as error:
        appointment.full_clean()
    assert "veterinarian" in error.value.message_dict


@pytest.mark.django_db
def test_the_pet_parent_must_own_the_pet():
    pet = PetFactory()
    appointment = Appointment(
        pet=pet,
        pet_parent=PetParentFactory(),
        veterinarian=VetFactory(),
        starts_at=pet.owner.date_joined,
    )
    with pytest.raises(ValidationError) as error:
        appointment.full_clean()
    assert "pet" in error.value.message_dict


@pytest.mark.django_db
def test_the_pet_parent_must_have_the_pet_parent_role():
    vet = VetFactory()
    pet = PetFactory()
    appointment = Appointment(
        pet=pet, pet_parent=vet, veterinarian=VetFactory(), starts_at=pet.owner.date_joined
    )
    with pytest.raises(ValidationError) as error:
        appointment.full_clean()
    assert set(error.value.message_dict) >= {"pet_parent", "pet"}


@pytest.mark.django_db
def test_duration_must_be_positive():
    appointment = AppointmentFactory.build(pet=PetFactory(), veterinarian=VetFactory())
    appointment.pet_parent = appointment.pet.owner
    appointment.duration = timedelta(0)
    with pytest.raises(ValidationError) as error:
        appointment.full_clean()
    assert "duration" in error.value.message_dict


@pytest.mark.django_db
def test_a_pet_belongs_to_a_pet_parent_and_is_not_born_in_the_future():
    pet = PetFactory.build(
        owner=VetFactory(), date_of_birth=timezone.localdate() + timedelta(days=3)
    )
    with pytest.raises(ValidationError) as error:
        pet.full_clean()
    assert set(error.value.message_dict) == {"owner", "date_of_birth"}
