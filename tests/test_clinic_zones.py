"""Each clinic's clock and face: two clinics, in London and in Auckland, whose appointments
start at the same instant. Pages, the API, emails and transcripts tell each appointment on its
own clinic's clock; a vet's "today" is their clinic's; a pet parent's list is split by clinic;
each chat shows its own clinic's name, hours and emergency numbers."""

import io
import re
from datetime import UTC, datetime, time, timedelta
from http import HTTPStatus

import pypdf
import pytest
from django.utils import timezone

from appointments.selectors import appointment_groups
from chat.models import Message
from chat.rules import read_only_reason
from chat.services import access_chat
from clinic.models import EmergencyNumber, OpeningSpan
from notifications.emails import build
from notifications.services import unread_email_claim
from tests.factories import (
    AppointmentFactory,
    ClinicFactory,
    PetParentFactory,
    VetFactory,
    send_message,
)

pytestmark = pytest.mark.django_db

EN_DASH = "\u2013"  # between the opening and closing times of the hours
# 21:00 on 15 January in London (GMT) is 10:00 on 16 January in Auckland (NZDT, +13).
SAME_INSTANT = datetime(2030, 1, 15, 21, 0, tzinfo=UTC)


@pytest.fixture
def london():
    clinic = ClinicFactory(
        name="Thames Veterinary Hospital of the Greater Riverside District",
        time_zone="Europe/London",
        email_sender_name="Thames Vets",
    )
    OpeningSpan.objects.create(clinic=clinic, weekday=0, opens=time(8), closes=time(18))
    EmergencyNumber.objects.create(
        clinic=clinic, label="Thames out of hours", number="020 7946 0000"
    )
    return clinic


@pytest.fixture
def auckland():
    clinic = ClinicFactory(name="Harbour Vets", time_zone="Pacific/Auckland")
    OpeningSpan.objects.create(clinic=clinic, weekday=2, opens=time(7, 30), closes=time(16))
    EmergencyNumber.objects.create(clinic=clinic, label="Harbour emergency", number="09 555 0101")
    return clinic


@pytest.fixture
def parent():
    return PetParentFactory(name="Sam Lee")


@pytest.fixture
def vet_london(london):
    return VetFactory(name="Dr. Ada Thames", clinics=[london])


@pytest.fixture
def vet_auckland(auckland):
    return VetFactory(name="Dr. Kiri Harbour", clinics=[auckland])


@pytest.fixture
def in_london(london, vet_london, parent):
    return AppointmentFactory(
        clinic=london,
        veterinarian=vet_london,
        pet__owner=parent,
        pet__name="Biscuit",
        starts_at=SAME_INSTANT,
    )


@pytest.fixture
def in_auckland(auckland, vet_auckland, parent):
    return AppointmentFactory(
        clinic=auckland,
        veterinarian=vet_auckland,
        pet__owner=parent,
        pet__name="Kumara",
        starts_at=SAME_INSTANT,
    )


def text_of(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


# The API ---------------------------------------------------------------------------------


def test_the_appointment_list_api_tells_each_row_on_its_clinics_clock(
    client_for, parent, in_london, in_auckland, london, auckland
):
    response = client_for(parent).get("/api/appointments/")

    assert response.status_code == HTTPStatus.OK
    rows = {row["id"]: row for row in response.json()["appointments"]}
    assert rows[str(in_london.pk)]["appointmentDate"] == "2030-01-15"
    assert rows[str(in_london.pk)]["appointmentTime"] == "21:00"
    assert rows[str(in_london.pk)]["clinic"] == {
        "id": london.pk,
        "name": london.name,
        "timeZone": "Europe/London",
    }
    assert rows[str(in_auckland.pk)]["appointmentDate"] == "2030-01-16"
    assert rows[str(in_auckland.pk)]["appointmentTime"] == "10:00"
    assert rows[str(in_auckland.pk)]["clinic"]["name"] == "Harbour Vets"


def test_the_chat_api_tells_the_appointment_on_its_clinics_clock(
    client_for, parent, in_london, in_auckland
):
    client = client_for(parent)
    seen = {}
    for appointment in (in_london, in_auckland):
        answer = client.get(
            "/api/appointment-chat/messages", {"appointmentId": str(appointment.pk)}
        )
        assert answer.status_code == HTTPStatus.OK
        seen[appointment.pet.name] = (
            answer.json()["appointment"]["appointmentDate"],
            answer.json()["appointment"]["appointmentTime"],
        )

    assert seen == {"Biscuit": ("2030-01-15", "21:00"), "Kumara": ("2030-01-16", "10:00")}


def test_a_search_hit_tells_its_appointment_on_its_clinics_clock(
    client_for, parent, vet_auckland, in_auckland
):
    send_message(vet_auckland, in_auckland, "Give the wormer with food")

    hits = client_for(parent).get("/api/appointment-chat/search", {"q": "wormer"}).json()

    (hit,) = hits["results"]
    assert (hit["appointmentDate"], hit["appointmentTime"]) == ("2030-01-16", "10:00")


# The pages -------------------------------------------------------------------------------


def test_the_chat_page_is_on_its_clinics_clock_and_shows_its_own_clinic(
    client_for, parent, vet_auckland, in_london, in_auckland, london
):
    sent = send_message(vet_auckland, in_auckland, "Kumara can come home")
    # 11:30 UTC on 16 January is 00:30 on 17 January in Auckland.
    Message.objects.filter(pk=sent.id).update(created_at=datetime(2030, 1, 16, 11, 30, tzinfo=UTC))

    page = text_of(client_for(parent).get(f"/appointments/{in_auckland.pk}/"))

    assert "Wednesday 16 January 2030" in page and "10:00" in page  # the appointment
    assert "Thursday 17 January 2030" in page and "00:30" in page  # the message's day and clock
    assert "Harbour Vets" in page
    assert "Harbour emergency" in page and "09 555 0101" in page
    assert f"07:30{EN_DASH}16:00" in page  # its Wednesday hours
    assert "Pacific/Auckland" in page
    assert london.name not in page
    assert "020 7946 0000" not in page and f"08:00{EN_DASH}18:00" not in page


def test_the_other_clinics_chat_page_shows_that_clinic_on_its_clock(
    client_for, parent, in_london, in_auckland
):
    page = text_of(client_for(parent).get(f"/appointments/{in_london.pk}/"))

    assert "Tuesday 15 January 2030" in page and "21:00" in page
    assert "Thames Veterinary Hospital of the Greater Riverside District" in page
    assert "Thames out of hours" in page and f"08:00{EN_DASH}18:00" in page
    assert "Harbour" not in page and "09 555 0101" not in page


def test_the_message_html_the_page_polls_for_is_on_its_clinics_clock(
    client_for, parent, vet_auckland, in_auckland
):
    sent = send_message(vet_auckland, in_auckland, "Kumara can come home")
    Message.objects.filter(pk=sent.id).update(created_at=datetime(2030, 1, 16, 11, 30, tzinfo=UTC))

    answer = client_for(parent).get(
        "/api/appointment-chat/messages",
        {"appointmentId": str(in_auckland.pk), "render": "html"},
    )

    (message,) = answer.json()["messages"]
    assert 'data-day="2030-01-17"' in message["html"] and "00:30" in message["html"]
    assert "Thursday 17 January 2030" in message["dayHtml"]


def test_a_parents_list_is_split_by_clinic_each_row_on_its_clock(
    client_for, parent, in_london, in_auckland, london
):
    response = client_for(parent).get("/appointments/")

    html = response.content.decode()
    london_at, auckland_at = html.index(london.name), html.index("Harbour Vets")
    # clinics by name: Harbour before Thames, each heading above its own appointment
    assert auckland_at < html.index("Kumara") < london_at < html.index("Biscuit")
    text = text_of(response)
    assert "Wed 16 Jan 2030 10:00 Kumara" in text
    assert "Tue 15 Jan 2030 21:00 Biscuit" in text


def test_a_parent_of_one_clinic_sees_one_list_naming_it(client_for, parent, in_auckland):
    response = client_for(parent).get("/appointments/")

    text = text_of(response)
    assert "At Harbour Vets" in text
    assert 'id="upcoming-heading"' in response.content.decode()


def test_a_parent_without_appointments_still_sees_the_empty_state(client_for, parent):
    assert "No appointments yet." in text_of(client_for(parent).get("/appointments/"))


# A vet's day -----------------------------------------------------------------------------


def test_a_vets_today_is_their_clinics_day(vet_auckland, auckland, parent):
    now = datetime(2030, 1, 15, 12, 0, tzinfo=UTC)  # 01:00 on 16 January in Auckland

    def booked(at: datetime):
        return AppointmentFactory(
            clinic=auckland, veterinarian=vet_auckland, pet__owner=parent, starts_at=at
        )

    last_night = booked(datetime(2030, 1, 15, 10, 0, tzinfo=UTC))  # 23:00 on the 15th there
    this_afternoon = booked(datetime(2030, 1, 16, 1, 0, tzinfo=UTC))  # 14:00 on the 16th
    tomorrow = booked(datetime(2030, 1, 16, 12, 0, tzinfo=UTC))  # 01:00 on the 17th

    groups = appointment_groups(user=vet_auckland, now=now)

    assert groups.today == [this_afternoon]
    assert groups.upcoming == [tomorrow]
    assert groups.past == [last_night]


def test_a_vet_at_two_clinics_groups_each_appointment_by_its_clinics_day(london, auckland):
    vet = VetFactory(clinics=[london, auckland])
    now = datetime(2030, 1, 15, 11, 30, tzinfo=UTC)  # the 15th in London, the 16th in Auckland
    here = AppointmentFactory(
        clinic=london, veterinarian=vet, starts_at=datetime(2030, 1, 15, 13, 0, tzinfo=UTC)
    )
    # 10:00 UTC on the 16th: tomorrow in London, 23:00 today in Auckland
    next_day = datetime(2030, 1, 16, 10, 0, tzinfo=UTC)
    there = AppointmentFactory(clinic=auckland, veterinarian=vet, starts_at=next_day)
    tomorrow_here = AppointmentFactory(clinic=london, veterinarian=vet, starts_at=next_day)
    earlier = AppointmentFactory(clinic=london, veterinarian=vet, starts_at=now - timedelta(days=3))

    groups = appointment_groups(user=vet, now=now)

    assert {a.pk for a in groups.today} == {here.pk, there.pk}
    assert groups.upcoming == [tomorrow_here]
    assert groups.past == [earlier]


# Rules, emails and transcripts -----------------------------------------------------------


def test_a_closed_chat_names_the_day_it_closed_on_its_clinics_calendar(
    in_auckland, parent, settings
):
    settings.VETCHAT_FOLLOW_UP = timedelta(hours=1)
    in_auckland.status = "completed"
    in_auckland.save()
    chat = access_chat(user=parent, appointment_id=in_auckland.pk)
    # ends 21:30 UTC on the 15th, closes 22:30 UTC on the 15th: 11:30 on the 16th in Auckland

    reason = read_only_reason(chat, now=SAME_INSTANT + timedelta(days=2))

    assert "closed on 16 January 2030" in reason


def test_an_unread_email_comes_from_its_clinic_on_its_clock(
    parent, vet_auckland, in_auckland, settings
):
    settings.DEFAULT_FROM_EMAIL = "vetchat <noreply@example.com>"
    send_message(vet_auckland, in_auckland, "Kumara can come home")
    email = unread_email_claim(user_id=parent.pk, chat_id=in_auckland.chat.pk).email

    message = build(parent, [email])

    assert message.from_email == "Harbour Vets <noreply@example.com>"
    assert message.subject.endswith("· Harbour Vets")
    assert "Appointment: Wed 16 Jan, 10:00" in message.body
    assert "Harbour Vets" in message.body


def test_a_digest_spanning_clinics_labels_each_chat_and_keeps_the_deployments_name(
    parent, vet_london, vet_auckland, in_london, in_auckland, london, settings
):
    settings.VETCHAT_CLINIC_NAME = "vetchat group"
    send_message(vet_london, in_london, "Biscuit is fine")
    send_message(vet_auckland, in_auckland, "Kumara can come home")
    emails = [
        unread_email_claim(user_id=parent.pk, chat_id=a.chat.pk).email
        for a in (in_london, in_auckland)
    ]

    message = build(parent, emails)

    assert message.subject.endswith("· vetchat group")
    assert "vetchat group" in message.from_email
    assert f"{london.name}: 1 unread message about Biscuit" in message.body
    assert "Appointment: Tue 15 Jan, 21:00" in message.body
    assert "Harbour Vets: 1 unread message about Kumara" in message.body
    assert "Appointment: Wed 16 Jan, 10:00" in message.body


def test_the_transcript_json_is_on_its_clinics_clock(
    client_for, parent, vet_auckland, in_auckland, transcript_root
):
    sent = send_message(vet_auckland, in_auckland, "Kumara can come home")
    Message.objects.filter(pk=sent.id).update(created_at=datetime(2030, 1, 16, 11, 30, tzinfo=UTC))

    body = client_for(parent).get(f"/appointments/{in_auckland.pk}/transcript.json").json()

    assert body["clinic"] == "Harbour Vets"
    assert body["timeZone"] == "Pacific/Auckland"
    assert body["appointment"]["startsAt"] == "2030-01-16T10:00:00+13:00"
    assert body["messages"][0]["sentAt"] == "2030-01-17T00:30:00+13:00"
    assert body["generatedAt"].endswith(("+13:00", "+12:00"))


def test_the_transcript_pdf_is_on_its_clinics_clock(
    client_for, parent, vet_london, in_london, transcript_root
):
    send_message(vet_london, in_london, "Biscuit is fine")

    response = client_for(parent).get(f"/appointments/{in_london.pk}/transcript.pdf")

    assert response.status_code == HTTPStatus.OK
    assert "transcript-biscuit-2030-01-15.pdf" in response["Content-Disposition"]
    content = b"".join(response.streaming_content) if response.streaming else response.content
    reader = pypdf.PdfReader(io.BytesIO(content))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert "Tuesday 15 January 2030, 21:00" in text
    assert "(Europe/London)" in text.replace("/ ", "/")  # the PDF may wrap after the slash
    assert "Thames Veterinary Hospital" in text


def test_the_appointments_name_in_lists_is_on_its_clinics_clock(in_auckland):
    assert str(in_auckland).endswith("2030-01-16 10:00")
    assert timezone.get_current_timezone_name() == "UTC"  # the deployment's zone is untouched
