"""Every standing on its side, named, in every record: the transcript's JSON and PDF, and the
admin's conversation (appointments.participants is the one answer they all ask)."""

import pytest

from tests.care_team import co_owner, handed_over, team_member
from tests.factories import send_message
from tests.transcripts.conftest import one_line, pdf_text

pytestmark = pytest.mark.django_db

# Who wrote, what the record calls them, and their side.
EXPECTED = [
    ("Olive Owner", "pet_parent", "Pet parent", "family"),
    ("Robin Morgan", "co_owner", "Co-owner", "family"),
    ("Dr. Fay Foster", "veterinarian", "Veterinarian", "clinic"),
    ("Sam Lee", "technician", "Technician", "clinic"),
    ("Dr. Ravi Patel", "veterinarian", "Veterinarian", "clinic"),
]


@pytest.fixture
def every_standing(appointment, parent, vet):
    """The owner, a co-owner, the vet (who then hands over), a nurse and the new vet each write."""
    parent.name, vet.name = "Olive Owner", "Dr. Fay Foster"
    parent.save()
    vet.save()
    family = co_owner(appointment)
    nurse = team_member(appointment, job_title="")
    send_message(parent, appointment, "from the owner")
    send_message(family, appointment, "from the co-owner")
    send_message(vet, appointment, "from the first vet")
    send_message(nurse, appointment, "from the nurse")
    _, new_vet = handed_over(appointment)
    appointment.refresh_from_db()
    send_message(new_vet, appointment, "from the new vet")
    return appointment


def test_the_json_names_each_sender_and_their_side(client_for, staff, every_standing):
    body = client_for(staff).get(f"/appointments/{every_standing.pk}/transcript.json").json()
    written = [m for m in body["messages"] if m["content"].startswith("from ")]
    assert [(m["senderName"], m["senderRole"], m["senderSide"]) for m in written] == [
        (name, role, side) for name, role, _, side in EXPECTED
    ]


def test_the_pdf_names_each_sender_by_their_standing(client_for, staff, every_standing):
    response = client_for(staff).get(f"/appointments/{every_standing.pk}/transcript.pdf")
    text = one_line(pdf_text(response.content))
    for name, _, label, _ in EXPECTED:
        assert f"{name} ({label})" in text


def test_the_admin_conversation_names_each_sender_by_their_standing(
    client_for, staff, every_standing
):
    page = client_for(staff).get(f"/admin/chat/chat/conversation/{every_standing.pk}/")
    html = page.content.decode()
    for name, _, label, _ in EXPECTED:
        assert f'{name}</strong> <span class="role">({label})</span>' in html
