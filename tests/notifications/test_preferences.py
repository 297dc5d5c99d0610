"""Every user's notification preferences page."""

from datetime import time
from http import HTTPStatus

import pytest

from notifications.models import Preference

pytestmark = pytest.mark.django_db

URL = "/preferences/"


def form(**changes) -> dict:
    return {
        "email_enabled": "on",
        "delay": "30m",
        "quiet_from": "22:00",
        "quiet_until": "07:00",
        **changes,
    }


def test_the_header_links_to_the_preferences(client_for, parent):
    page = client_for(parent).get("/appointments/").content.decode()
    assert f'href="{URL}"' in page.split("</header>")[0]


def test_preferences_persist(client_for, parent):
    client = client_for(parent)
    response = client.post(URL, form(web_push_enabled="on"))
    assert response.status_code == HTTPStatus.FOUND
    saved = Preference.objects.get(user=parent)
    assert saved.delay == Preference.Delay.THIRTY_MINUTES
    assert (saved.quiet_from, saved.quiet_until) == (time(22), time(7))
    assert saved.web_push_enabled is True
    assert saved.delay_seconds(300) == 1800

    page = client.get(URL).content.decode()
    assert 'value="22:00"' in page
    assert '<option value="30m" selected>' in page


def test_unchecking_email_turns_it_off(client_for, parent):
    client_for(parent).post(URL, {"delay": "now"})
    assert Preference.objects.get(user=parent).delay_seconds(300) is None


def test_errors_keep_what_was_typed_and_name_the_field(client_for, parent):
    response = client_for(parent).post(URL, form(quiet_from="25:99", quiet_until="07:30"))
    assert response.status_code == HTTPStatus.BAD_REQUEST
    page = response.content.decode()
    assert 'value="25:99"' in page
    assert 'value="07:30"' in page
    assert 'id="id_quiet_from_error"' in page
    assert 'aria-invalid="true"' in page
    assert not Preference.objects.filter(user=parent).exists()


def test_quiet_hours_need_both_ends(client_for, parent):
    response = client_for(parent).post(URL, form(quiet_until=""))
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert 'id="id_quiet_until_error"' in response.content.decode()


def test_only_vets_choose_a_digest(client_for, parent, vet):
    assert "digest" not in client_for(parent).get(URL).content.decode().lower()
    client_for(parent).post(URL, form(digest_hours="4"))
    assert Preference.objects.get(user=parent).digest_hours is None

    assert client_for(vet).post(URL, form(digest_hours="4")).status_code == HTTPStatus.FOUND
    assert Preference.objects.get(user=vet).digest_hours == 4


def test_signed_out_visitors_are_sent_to_sign_in(client_for):
    response = client_for(None).get(URL)
    assert response.status_code == HTTPStatus.FOUND
    assert "/accounts/login/" in response["Location"]
