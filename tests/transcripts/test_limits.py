"""Transcripts are expensive to make: one person's PDF and JSON downloads share a budget, and
past it the PDF answers a readable page, the JSON the API's error, both 429 with Retry-After."""

from http import HTTPStatus

import pytest

from tests.chat.test_limits import within_one_window

pytestmark = pytest.mark.django_db


@pytest.fixture
def tight_budget(settings):
    settings.VETCHAT_RATE_LIMITS = {**settings.VETCHAT_RATE_LIMITS, "transcript": ["2/m"]}


def test_pdf_and_json_downloads_share_one_budget(tight_budget, client_for, parent, appointment):
    client = client_for(parent)
    within_one_window()
    pdf = f"/appointments/{appointment.pk}/transcript.pdf"
    json = f"/appointments/{appointment.pk}/transcript.json"
    assert client.get(pdf).status_code == HTTPStatus.OK
    assert client.get(json).status_code == HTTPStatus.OK
    # when the parent asks a third time within the minute
    refused_json = client.get(json)
    refused_pdf = client.get(pdf)
    # then the JSON says so in the API's shape
    assert refused_json.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert refused_json.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(refused_json["Retry-After"]) <= 60
    # and the PDF link answers a page a person can read, not a file
    assert refused_pdf.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert refused_pdf["Content-Type"].startswith("text/html")
    assert 1 <= int(refused_pdf["Retry-After"]) <= 60
    assert "Too many transcript downloads" in refused_pdf.content.decode()


def test_the_vets_budget_is_their_own(tight_budget, client_for, parent, vet, appointment):
    within_one_window()
    json = f"/appointments/{appointment.pk}/transcript.json"
    for _ in range(3):
        client_for(parent).get(json)
    assert client_for(vet).get(json).status_code == HTTPStatus.OK


def test_an_outsider_is_told_nothing_exists_before_any_budget(
    tight_budget, client_for, appointment
):
    from tests.factories import PetParentFactory

    outsider = client_for(PetParentFactory())
    for _ in range(3):
        answer = outsider.get(f"/appointments/{appointment.pk}/transcript.json")
        assert answer.status_code == HTTPStatus.NOT_FOUND
