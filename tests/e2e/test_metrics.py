"""The clinic's figures in a real browser: axe over the page with its chart, tables and empty
states, and nothing wider than a phone's screen however long a pool's name."""

from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

import metrics.views
from appointments.models import Pet
from tests.e2e.a11y import axe_violations, describe
from tests.factories import ClinicFactory
from tests.metrics.conftest import NOW, prepare_week, with_hours


@pytest.fixture
def week(transactional_db, monkeypatch):
    monkeypatch.setattr(metrics.views, "timezone", SimpleNamespace(now=lambda: NOW))
    week = prepare_week(
        with_hours(ClinicFactory(name="Harbor Street", time_zone="America/New_York"))
    )
    Pet.objects.filter(pk=week.chats["E"].appointment.pet_id).update(name="Rex" + "Longname" * 6)
    return week


def test_the_figures_page_has_no_axe_violations_and_fits_a_phone(page_for, live_server, week):
    page = page_for(week.one)
    page.goto(f"{live_server.url}/clinic/{week.clinic.pk}/figures/")
    expect(page.get_by_role("img", name="Share of questions answered late")).to_be_visible()
    page.get_by_text("The figures as a table").click()
    expect(page.locator("#weeks-table")).to_be_visible()
    violations = axe_violations(page)
    assert violations == [], describe(violations)

    page.set_viewport_size({"width": 360, "height": 740})
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    overflowing = "[...document.querySelectorAll('.metrics-table-wrap')]"
    overflowing += ".filter((wrap) => wrap.scrollWidth > wrap.clientWidth).length"
    assert page.evaluate(overflowing) == 0
    violations = axe_violations(page)
    assert violations == [], describe(violations)
    assert page.js_errors == []
