from datetime import datetime
from http import HTTPStatus
from zoneinfo import ZoneInfo

import pytest

from tests.factories import AppointmentFactory, ClinicFactory

URL = "/api/appointments/"


@pytest.mark.django_db
def test_anonymous_gets_401_with_a_json_error(client):
    response = client.get(URL)
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["error"]["code"] == "not_authenticated"
    assert response.json()["error"]["message"]


@pytest.mark.django_db
def test_lists_only_the_users_appointments_in_clinic_time(client_for, parent, vet):
    # 02:15 UTC on Jan 16 is still Jan 15 in New York.
    clinic = ClinicFactory(name="Hudson Vets", time_zone="America/New_York")
    mine = AppointmentFactory(
        clinic=clinic,
        pet__owner=parent,
        pet__name="Biscuit",
        veterinarian=vet,
        starts_at=datetime(2030, 1, 16, 2, 15, tzinfo=ZoneInfo("UTC")),
    )
    AppointmentFactory()  # someone else's

    response = client_for(parent).get(URL)

    assert response.status_code == HTTPStatus.OK
    assert response.json() == {
        "appointments": [
            {
                "id": str(mine.pk),
                "petName": "Biscuit",
                "petParentName": "Alex Morgan",
                "veterinarianName": "Dr. Jane Foster",
                "appointmentDate": "2030-01-15",
                "appointmentTime": "21:15",
                "status": "scheduled",
                "unreadCount": 0,
                "clinic": {
                    "id": clinic.pk,
                    "name": "Hudson Vets",
                    "timeZone": "America/New_York",
                },
            }
        ]
    }


@pytest.mark.django_db
def test_vet_sees_their_own_appointments_only(client_for, vet, other_vet):
    AppointmentFactory.create_batch(2, veterinarian=vet)
    AppointmentFactory(veterinarian=other_vet)
    ids = [row["id"] for row in client_for(vet).get(URL).json()["appointments"]]
    assert len(ids) == 2


@pytest.mark.django_db
def test_query_count_does_not_grow_with_the_list(
    client_for, parent, vet, django_assert_num_queries
):
    AppointmentFactory.create_batch(3, pet__owner=parent, veterinarian=vet)
    client = client_for(parent)
    # user, appointments, unread counts (the session comes from the cache)
    with django_assert_num_queries(3) as small:
        client.get(URL)
    AppointmentFactory.create_batch(30, pet__owner=parent, veterinarian=vet)
    with django_assert_num_queries(len(small.captured_queries)):
        assert len(client.get(URL).json()["appointments"]) == 33


@pytest.mark.django_db
def test_unknown_api_address_answers_json_404(client_for, parent):
    response = client_for(parent).get("/api/no-such-thing/")
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.django_db
def test_wrong_method_is_405_with_json_error(client_for, parent):
    response = client_for(parent).delete(URL)
    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert response.json()["error"]["code"] == "method_not_allowed"
