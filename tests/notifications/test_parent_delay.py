"""A pet parent is emailed sooner than the clinic: 3 minutes by default, the clinic's side 5."""

from http import HTTPStatus

import pytest
from django.utils import timezone
from procrastinate.contrib.django.models import ProcrastinateJob

from notifications.models import Preference
from tests.factories import send_message

pytestmark = pytest.mark.django_db


def seconds_until_job_of(user) -> float:
    [job] = ProcrastinateJob.objects.filter(
        task_name="notifications.tasks.notify_unread", args__user_id=str(user.pk)
    )
    return (job.scheduled_at - timezone.now()).total_seconds()


@pytest.fixture(autouse=True)
def _delays(settings):
    settings.VETCHAT_NOTIFY_DELAY_SECONDS = 300
    settings.VETCHAT_PARENT_NOTIFY_DELAY_SECONDS = 180


def test_a_parent_on_the_clinic_default_is_emailed_after_three_minutes(appointment, parent, vet):
    send_message(vet, appointment, "How is Rex today?")
    assert 175 <= seconds_until_job_of(parent) <= 180


def test_a_vet_on_the_clinic_default_keeps_five_minutes(appointment, parent, vet):
    send_message(parent, appointment, "Better, thanks")
    assert 295 <= seconds_until_job_of(vet) <= 300


def test_a_parent_who_chose_a_delay_keeps_it(appointment, parent, vet):
    Preference.objects.create(user=parent, delay=Preference.Delay.THIRTY_MINUTES)
    send_message(vet, appointment, "How is Rex today?")
    assert 1795 <= seconds_until_job_of(parent) <= 1800


def test_a_parent_is_never_told_later_than_the_clinic_default(appointment, parent, vet, settings):
    settings.VETCHAT_NOTIFY_DELAY_SECONDS = 60
    send_message(vet, appointment, "How is Rex today?")
    assert 55 <= seconds_until_job_of(parent) <= 60


def test_the_preferences_page_says_what_the_default_means_for_a_parent(client_for, parent):
    page = client_for(parent).get("/preferences/")
    assert page.status_code == HTTPStatus.OK
    html = page.content.decode()
    assert "The clinic&#x27;s default (after 3 minutes)" in html
    assert "we email you after 3 minutes by default" in html


def test_the_preferences_page_says_what_the_default_means_for_a_vet(client_for, vet):
    html = client_for(vet).get("/preferences/").content.decode()
    assert "The clinic&#x27;s default (after 5 minutes)" in html
    assert "we email you after 5 minutes by default" in html
