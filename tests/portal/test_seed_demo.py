import io
import time
from datetime import datetime, timedelta
from datetime import time as clock_time
from http import HTTPStatus

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from appointments.models import Appointment, Pet
from chat.models import Chat, Message
from portal.management.commands.seed_demo import DEMO_PASSWORD, demo_appointment_id
from tenancy.models import Clinic
from tests.factories import PetParentFactory, first_clinic
from tests.signin import signed_in_client

DEMO_EMAILS = [
    "parent@example.com",
    "parent2@example.com",
    "vet@example.com",
    "vet2@example.com",
    "nurse@example.com",
    "coowner@example.com",
    "admin@example.com",
    "vet3@example.com",
    "parent3@example.com",
    "clinicadmin@example.com",
]


@pytest.fixture(autouse=True)
def debug_on(settings):
    """The demo clinic is made on a development machine, where debug is on."""
    settings.DEBUG = True


def snapshot() -> dict:
    return {
        "clinics": sorted(Clinic.objects.values_list("pk", "slug", "name", "time_zone")),
        "members": sorted(User.objects.values_list("email", "clinic_memberships__clinic__slug")),
        "users": sorted(User.objects.values_list("email", "role", "is_superuser")),
        "pets": sorted(Pet.objects.values_list("owner__email", "name")),
        "appointments": sorted(
            Appointment.objects.values_list(
                "id", "clinic__slug", "pet__name", "veterinarian__email", "starts_at"
            )
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
    assert len(first["clinics"]) == 2
    assert len(first["users"]) == len(DEMO_EMAILS)
    assert len(first["messages"]) >= 3


@pytest.mark.django_db
def test_demo_clinic_has_the_promised_sign_ins_and_appointments(client):
    call_command("seed_demo")
    for email in DEMO_EMAILS:
        assert client.login(username=email, password=DEMO_PASSWORD), email
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
def test_demo_clinic_accounts_sign_in_with_the_printed_code():
    call_command("seed_demo")
    out = io.StringIO()
    # A code printed in the last seconds of its 30 s period could expire before it is typed.
    if time.time() % 30 > 20:
        time.sleep(30 - time.time() % 30)
    call_command("demo_totp", stdout=out)
    code = out.getvalue().split()[0]
    for email, page in [
        ("vet@example.com", "/api/appointments/"),
        ("vet3@example.com", "/api/appointments/"),
        ("clinicadmin@example.com", "/admin/"),
    ]:
        client = Client()
        client.post("/accounts/login/", {"login": email, "password": DEMO_PASSWORD})
        assert client.get(page).status_code != HTTPStatus.OK, email
        client.post("/accounts/2fa/authenticate/", {"code": code})
        assert client.get(page).status_code == HTTPStatus.OK, email


@pytest.mark.django_db
def test_the_demo_clinic_has_hours_emergency_numbers_and_shared_canned_answers():
    from clinic.models import CannedAnswer, EmergencyNumber, OpeningSpan
    from clinic.selectors import clinic_snapshot

    call_command("seed_demo")
    call_command("seed_demo")
    riverside = first_clinic()
    spans = OpeningSpan.objects.filter(clinic=riverside)
    assert spans.filter(weekday=0).count() == 2  # a lunch break on Mondays
    assert not spans.filter(weekday=6).exists()  # closed on Sundays
    assert EmergencyNumber.objects.filter(clinic=riverside).count() == 2
    assert CannedAnswer.objects.filter(clinic=riverside, owner=None).count() == 3
    assert clinic_snapshot(riverside.pk).phone == "01632 960 001"
    assert not Message.objects.filter(message_type=Message.Type.SYSTEM).exists()


@pytest.mark.django_db
def test_the_demo_clinics_have_pools_and_someone_on_call():
    from oncall.selectors import has_rota, on_call_at
    from triage.models import Pool

    call_command("seed_demo")
    call_command("seed_demo")  # twice: one rota, not two
    riverside = first_clinic()
    vet2 = User.objects.get(email="vet2@example.com")
    assert has_rota(riverside.pk)
    assert on_call_at(riverside.pk, timezone.now(), level=1) == [vet2.pk]
    assert on_call_at(riverside.pk, timezone.now() + timedelta(days=29), level=2) == [
        User.objects.get(email="vet@example.com").pk
    ]
    vets = Pool.objects.get(clinic=riverside, name="Vets")
    assert set(vets.members.values_list("email", flat=True)) == {
        "vet@example.com",
        "vet2@example.com",
    }


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


def harbor() -> Clinic:
    return Clinic.objects.get(slug="harbor-street")


@pytest.mark.django_db
def test_the_second_clinic_has_its_own_zone_contacts_hours_and_shared_answer():
    from clinic.models import CannedAnswer
    from clinic.selectors import clinic_snapshot, opening_now

    call_command("seed_demo")
    call_command("seed_demo")
    riverside, second = first_clinic(), harbor()
    assert riverside.time_zone == "UTC"  # DJANGO_TIME_ZONE in the tests' settings
    assert second.time_zone == "America/New_York"
    snap = clinic_snapshot(second.pk)
    assert (snap.name, snap.phone, snap.colour) == (
        "Harbor Street Animal Hospital",
        "(212) 555-0142",
        "#1565c0",
    )
    assert "New York" in snap.address
    assert {n.number for n in snap.emergency_numbers} == {"(212) 555-0142", "(212) 555-0199"}
    assert 6 in snap.spans  # open on Sundays, unlike Riverside
    other = clinic_snapshot(riverside.pk)
    assert (other.name, other.colour) != (snap.name, snap.colour)
    assert not set(snap.emergency_numbers) & set(other.emergency_numbers)
    assert list(
        CannedAnswer.objects.filter(clinic=second, owner=None).values_list("title", flat=True)
    ) == ["Bring the records"]
    # Each clinic's hours are read in its own zone: a Monday at 18:30 in New York is 23:30 in
    # UTC, inside Harbor Street's hours and after Riverside's.
    monday_evening = datetime(2027, 1, 11, 18, 30, tzinfo=second.zone)
    assert opening_now(second.pk, monday_evening).open
    assert not opening_now(riverside.pk, monday_evening).open


@pytest.mark.django_db
def test_the_second_clinic_has_its_vet_client_and_a_visit_of_alex():
    call_command("seed_demo")
    second = harbor()
    at_harbor = Appointment.objects.filter(clinic=second)
    assert set(at_harbor.values_list("veterinarian__email", "pet_parent__email", "pet__name")) == {
        ("vet3@example.com", "parent@example.com", "Miso"),
        ("vet3@example.com", "parent3@example.com", "Nori"),
    }
    # booked in the clinic's own zone, from its own today
    miso = at_harbor.get(pet__name="Miso")
    local = miso.starts_at.astimezone(second.zone)
    assert local.time() == clock_time(10, 0)
    assert local.date() == timezone.localdate(timezone=second.zone) + timedelta(days=1)
    # a short conversation, every row of it the clinic's
    chat = Chat.objects.get(appointment=miso)
    messages = Message.objects.filter(chat=chat).order_by("seq")
    assert list(messages.values_list("sender__email", flat=True)) == [
        "parent@example.com",
        "vet3@example.com",
    ]
    assert {chat.clinic_id, *messages.values_list("clinic_id", flat=True)} == {second.pk}
    # Alex's one account sees the appointments of both clinics; the first clinic's stay there
    alex = signed_in_client(User.objects.get(email="parent@example.com"))
    listed = alex.get("/api/appointments/").content.decode()
    assert str(demo_appointment_id("miso-harbor")) in listed
    assert str(demo_appointment_id("biscuit-today")) in listed
    assert (
        not Appointment.objects.exclude(clinic=second)
        .filter(veterinarian__email="vet3@example.com")
        .exists()
    )


@pytest.mark.django_db
def test_the_clinic_admin_works_at_the_second_clinic_only():
    call_command("seed_demo")
    second = harbor()
    admin = User.objects.get(email="clinicadmin@example.com")
    assert (admin.role, admin.is_staff, admin.is_superuser) == (User.Role.STAFF, True, False)
    assert admin.clinic_ids == {second.pk}
    assert User.objects.get(email="vet3@example.com").clinic_ids == {second.pk}
    assert admin.has_perms(["chat.view_chat", "clinic.change_openingspan", "tenancy.change_clinic"])
    assert not admin.has_perm("tenancy.add_clinic")
    # given the clinic admin in the admin, when they open each clinic's conversations
    client = signed_in_client(admin)
    own = client.get(reverse("admin:chat_conversation", args=[demo_appointment_id("miso-harbor")]))
    other = client.get(
        reverse("admin:chat_conversation", args=[demo_appointment_id("biscuit-today")])
    )
    # then their clinic's is read and the first clinic's is not there for them
    assert own.status_code == HTTPStatus.OK
    assert "Miso keeps scratching" in own.content.decode()
    assert other.status_code == HTTPStatus.NOT_FOUND
    assert "Biscuit is still limping" not in other.content.decode()
