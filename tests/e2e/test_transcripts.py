"""The transcript from the appointment page, in a real browser."""

import io

import pypdf
import pytest
from playwright.sync_api import expect

from tests.e2e.a11y import axe_violations, describe
from tests.factories import send_message

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def transcript_root(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "transcripts": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "transcripts")},
        },
    }


@pytest.mark.parametrize("who", ["parent", "vet"])
def test_a_participant_downloads_the_transcript_from_the_appointment_page(
    request, page_for, live_server, appointment, parent, vet, who
):
    send_message(parent, appointment, "Rex is limping on his front leg")
    send_message(vet, appointment, "Please keep him resting until Friday")
    page = page_for(request.getfixturevalue(who))
    page.goto(f"{live_server.url}/appointments/{appointment.pk}/")
    link = page.get_by_role("link", name="Download transcript (PDF)")
    expect(link).to_be_visible()
    with page.expect_download() as download_info:
        link.click()
    download = download_info.value
    assert download.suggested_filename.endswith(".pdf")
    pdf = download.path().read_bytes()
    text = " ".join(
        " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages).split()
    )
    assert "Rex is limping on his front leg" in text
    assert "Please keep him resting until Friday" in text
    assert page.js_errors == []


@pytest.mark.parametrize("width", [360, 1280])
def test_the_page_saying_a_transcript_is_being_prepared_has_no_axe_violations(
    page_for, live_server, appointment, parent, vet, settings, width
):
    settings.VETCHAT_TRANSCRIPT_BACKGROUND_MESSAGES = 1
    send_message(parent, appointment, "one")
    send_message(vet, appointment, "two")
    page = page_for(parent, width=width)
    page.goto(f"{live_server.url}/appointments/{appointment.pk}/transcript.pdf")
    expect(page.get_by_role("heading", name="Preparing the transcript")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("2 messages")
    violations = axe_violations(page)
    assert violations == [], describe(violations)
    # the page offers the same link again, which downloads the PDF once it is ready
    expect(page.get_by_role("link", name="Download transcript (PDF)")).to_have_attribute(
        "href", f"/appointments/{appointment.pk}/transcript.pdf"
    )
