import pytest

from tests.factories import TechnicianFactory, VetFactory
from triage.models import IntakeQuestion, Pool

INTAKE = "/api/appointment-chat/messages"


def pool(appointment, name: str) -> Pool:
    return Pool.objects.get(clinic_id=appointment.clinic_id, name=name)


def question(appointment, text_start: str) -> IntakeQuestion:
    return IntakeQuestion.objects.get(clinic_id=appointment.clinic_id, text__startswith=text_start)


def intake_body(appointment, content: str = "Bella is not herself.", **payload) -> dict:
    body = {"appointmentId": str(appointment.pk), "content": content, "messageType": "intake"}
    if payload:
        body["payload"] = payload
    return body


def post_json(client, body: dict):
    return client.post(INTAKE, body, content_type="application/json")


@pytest.fixture
def nurse(appointment):
    """A nurse of the Nursing and Vets pools, not on the appointment's care team."""
    member = TechnicianFactory(name="Sam Lee")
    for name in ("Nursing", "Vets"):
        pool(appointment, name).members.add(member)
    return member


@pytest.fixture
def pool_vet(appointment):
    """A vet of the Vets pool, not the appointment's."""
    member = VetFactory(name="Dr. Ana Ruiz")
    pool(appointment, "Vets").members.add(member)
    return member
