from datetime import timedelta
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import AppointmentFactory, PetParentFactory
from tests.signin import sign_in


def detail_url(appointment) -> str:
    return reverse("appointment_detail", args=[appointment.pk])


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("parent", HTTPStatus.OK),
        ("vet", HTTPStatus.OK),
        ("staff", HTTPStatus.OK),
        ("other_parent", HTTPStatus.NOT_FOUND),
        ("other_vet", HTTPStatus.NOT_FOUND),
    ],
)
def test_who_may_open_an_appointment_page(request, client_for, appointment, who, expected):
    user = request.getfixturevalue(who)
    response = client_for(user).get(detail_url(appointment))
    assert response.status_code == expected
    if expected == HTTPStatus.OK:
        assert appointment.pet.name in response.text
        assert appointment.veterinarian.name in response.text
    else:
        assert appointment.pet.name not in response.text


@pytest.mark.django_db
def test_anonymous_visitor_is_sent_to_sign_in(client, appointment):
    response = client.get(detail_url(appointment))
    assert response.status_code == HTTPStatus.FOUND
    assert response.url.startswith(reverse("account_login"))


@pytest.mark.django_db
def test_inactive_participant_cannot_open_the_page(client_for, appointment, parent):
    parent.is_active = False
    parent.save()
    response = client_for(parent).get(detail_url(appointment))
    assert response.status_code != HTTPStatus.OK


@pytest.mark.django_db
def test_unknown_appointment_is_404(client_for, parent):
    response = client_for(parent).get("/appointments/00000000-0000-0000-0000-000000000000/")
    assert response.status_code == HTTPStatus.NOT_FOUND


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "landing"),
    [("parent", "/appointments/"), ("vet", "/dashboard/"), ("staff", "/admin/")],
)
def test_sign_in_lands_each_role_where_its_work_is(request, client, who, landing):
    user = request.getfixturevalue(who)
    response = sign_in(client, user, login=user.email.upper())
    assert response.redirect_chain[-1][0] == landing
    assert response.status_code == HTTPStatus.OK


@pytest.mark.django_db
def test_pet_parent_sees_upcoming_before_past_and_not_other_peoples(client_for, parent, vet):
    now = timezone.now()
    past = AppointmentFactory(
        pet__owner=parent,
        pet__name="Oldvisit",
        veterinarian=vet,
        starts_at=now - timedelta(days=30),
    )
    upcoming = AppointmentFactory(
        pet__owner=parent,
        pet__name="Nextvisit",
        veterinarian=vet,
        starts_at=now + timedelta(days=5),
    )
    AppointmentFactory(pet__name="Strangerpet")
    page = client_for(parent).get(reverse("my_appointments")).text
    assert page.index(upcoming.pet.name) < page.index(past.pet.name)
    assert "Strangerpet" not in page
    assert str(upcoming.pk) in page


@pytest.mark.django_db
def test_pet_parent_without_appointments_sees_an_empty_state(client_for):
    page = client_for(PetParentFactory()).get(reverse("my_appointments")).text
    assert "No appointments yet" in page


@pytest.mark.django_db
def test_vet_dashboard_lists_today_then_upcoming(client_for, vet):
    now = timezone.localtime()
    today = AppointmentFactory(
        veterinarian=vet, pet__name="Todaypet", starts_at=now.replace(hour=12, minute=0)
    )
    later = AppointmentFactory(
        veterinarian=vet, pet__name="Laterpet", starts_at=now + timedelta(days=2)
    )
    AppointmentFactory(pet__name="Othervetpet")
    page = client_for(vet).get(reverse("vet_dashboard")).text
    assert page.index(today.pet.name) < page.index(later.pet.name)
    assert page.index("Today") < page.index(today.pet.name) < page.index("Upcoming")
    assert "Othervetpet" not in page


@pytest.mark.django_db
def test_long_names_are_escaped_not_interpreted(client_for, parent, vet):
    appointment = AppointmentFactory(
        pet__owner=parent, veterinarian=vet, pet__name="<script>alert(1)</script>"
    )
    page = client_for(parent).get(detail_url(appointment)).text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
