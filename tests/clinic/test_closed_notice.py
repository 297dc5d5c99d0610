"""While the clinic is closed, a pet parent's chat says so above the composer, with the
emergency numbers; vets and open hours see nothing of it."""

from datetime import time, timedelta
from http import HTTPStatus

import pytest
from django.utils import timezone

from clinic.selectors import closed_notice
from tests.clinic.conftest import closed_now, open_now, set_hours

pytestmark = pytest.mark.django_db


def page(client, appointment) -> str:
    response = client.get(f"/appointments/{appointment.pk}/")
    assert response.status_code == HTTPStatus.OK
    return response.content.decode()


def test_a_parent_sees_when_replies_resume_and_the_emergency_numbers(
    clinic, client_for, appointment, parent
):
    closed_now()
    html = page(client_for(parent), appointment)
    notice = html[html.index('id="closed-notice"') : html.index('class="composer"')]
    assert "The clinic is closed — replies from " in notice
    assert '<a href="tel:01632960999">01632 960 999</a>' in notice


def test_the_notice_names_the_weekday_and_time_of_opening(clinic):
    today = timezone.localdate()
    set_hours({(today + timedelta(days=3)).weekday(): [(time(8), time(12))]})
    expected = f"replies from {(today + timedelta(days=3)):%A} 08:00"
    assert closed_notice(clinic.pk).text == f"The clinic is closed — {expected}"


def test_no_notice_while_open(clinic, client_for, appointment, parent):
    open_now()
    assert 'id="closed-notice"' not in page(client_for(parent), appointment)
    assert closed_notice(clinic.pk) is None


def test_a_vet_sees_no_closed_notice(clinic, client_for, appointment, vet):
    closed_now()
    assert 'id="closed-notice"' not in page(client_for(vet), appointment)


def test_until_hours_are_set_nobody_is_told_the_clinic_is_closed(clinic):
    set_hours({})
    assert closed_notice(clinic.pk) is None


def test_closed_for_longer_than_a_year_says_so_without_a_time(clinic):
    today = timezone.localdate()
    set_hours(
        {day: [(time(8), time(18))] for day in range(7)},
        closures=[today + timedelta(days=n) for n in range(-1, 420)],
    )
    assert closed_notice(clinic.pk).text == "The clinic is closed."
