import io
import time

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import User
from appointments.models import Appointment, Pet
from chat.models import Message
from tests.factories import PetParentFactory, first_clinic


@pytest.fixture(autouse=True)
def debug_on(settings):
    """The demo clinic is made on a development machine, where debug is on."""
    settings.DEBUG = True


def snapshot() -> dict:
    return {
        "users": sorted(User.objects.values_list("email", "role", "is_superuser")),
        "pets": sorted(Pet.objects.values_list("owner__email", "name")),
        "appointments": sorted(
            Appointment.objects.values_list("id", "pet__name", "veterinarian__email", "starts_at")
        ),
        "messages": sorted(
            Message.objects.values_list("chat__appointment_id", "seq", "sender__email", "content")
        ),
    }


@pytest.mark.django_db
def test_seed_demo_twice_gives_the_same_clinic():
    call_command("seed_demo")
    first = snapshot()
    call_command("seed_demo")
    assert snapshot() == first
    assert len(first["users"]) == 7
    assert len(first["messages"]) >= 3


@pytest.mark.django_db
def test_demo_clinic_has_the_promised_sign_ins_and_appointments(client):
    call_command("seed_demo")
    for email in [
        "parent@example.com",
        "parent2@example.com",
        "vet@example.com",
        "vet2@example.com",
        "nurse@example.com",
        "coowner@example.com",
        "admin@example.com",
    ]:
        assert client.login(username=email, password="vetchat-demo"), email
    # through the real form, which also insists on a verified address
    client.logout()
    client.post("/accounts/login/", {"login": "parent@example.com", "password": "vetchat-demo"})
    assert client.get("/api/appointments/").status_code == 200
    parent = User.objects.get(email="parent@example.com")
    assert parent.pets.count() >= 2
    today = timezone.localdate()
    mine = Appointment.objects.filter(pet_parent=parent, veterinarian__email="vet@example.com")
    assert any(timezone.localtime(a.starts_at).date() == today for a in mine)
    assert any(timezone.localtime(a.starts_at).date() > today for a in mine)
    assert Appointment.objects.filter(
        pet_parent__email="parent2@example.com", veterinarian__email="vet2@example.com"
    ).exists()
    assert User.objects.get(email="admin@example.com").is_superuser


@pytest.mark.django_db
def test_seed_demo_refuses_a_database_with_real_users_unless_forced():
    PetParentFactory(email="real.person@clinic.example")
    with pytest.raises(CommandError, match="--force"):
        call_command("seed_demo")
    assert not User.objects.filter(email="parent@example.com").exists()
    call_command("seed_demo", "--force")
    assert User.objects.filter(email="parent@example.com").exists()


@pytest.mark.django_db
def test_seed_demo_refuses_to_run_with_debug_off_unless_forced(settings):
    # given a site with debug off, as production runs
    settings.DEBUG = False
    # when the demo is asked for, then it is refused, saying why and how to insist
    with pytest.raises(CommandError, match=r"DJANGO_DEBUG is off.*--force"):
        call_command("seed_demo")
    assert not User.objects.exists()
    # and given --force, it is made
    call_command("seed_demo", "--force")
    assert User.objects.filter(email="parent@example.com").exists()


@pytest.mark.django_db
def test_demo_vet_signs_in_with_the_printed_code(client):
    call_command("seed_demo")
    out = io.StringIO()
    # A code printed in the last seconds of its 30 s period could expire before it is typed.
    if time.time() % 30 > 25:
        time.sleep(30 - time.time() % 30)
    call_command("demo_totp", stdout=out)
    client.post("/accounts/login/", {"login": "vet@example.com", "password": "vetchat-demo"})
    assert client.get("/api/appointments/").status_code == 401
    client.post("/accounts/2fa/authenticate/", {"code": out.getvalue().split()[0]})
    assert client.get("/api/appointments/").status_code == 200


@pytest.mark.django_db
def test_the_demo_clinic_has_hours_emergency_numbers_and_shared_canned_answers():
    from clinic.models import CannedAnswer, EmergencyNumber, OpeningSpan
    from clinic.selectors import clinic_snapshot

    call_command("seed_demo")
    call_command("seed_demo")
    assert OpeningSpan.objects.filter(weekday=0).count() == 2  # a lunch break on Mondays
    assert not OpeningSpan.objects.filter(weekday=6).exists()  # closed on Sundays
    assert EmergencyNumber.objects.count() == 2
    assert CannedAnswer.objects.filter(owner=None).count() == 3
    assert clinic_snapshot(first_clinic().pk).phone == "01632 960 001"
    assert not Message.objects.filter(message_type=Message.Type.SYSTEM).exists()


@pytest.mark.django_db
def test_demo_clinic_has_a_nurse_on_a_team_and_a_co_owner():
    from appointments.access import appointments_of_participant

    call_command("seed_demo")
    nurse = User.objects.get(email="nurse@example.com")
    assert (nurse.role, nurse.role_label) == (User.Role.TECHNICIAN, "Nurse")
    robin = User.objects.get(email="coowner@example.com")
    biscuit_today = appointments_of_participant(nurse).get()
    assert biscuit_today.pet.name == "Biscuit"
    assert set(appointments_of_participant(robin)) == set(
        Appointment.objects.filter(pet__name="Biscuit")
    )
    senders = set(
        Message.objects.filter(chat__appointment=biscuit_today).values_list(
            "sender__email", flat=True
        )
    )
    assert {"nurse@example.com", "coowner@example.com"} <= senders
