"""Every page under the strict Content-Security-Policy, in a real browser: nothing refused."""

import re

import pytest
from django.test import Client
from playwright.sync_api import Page, expect

from tests.factories import PASSWORD, VetFactory, send_message

pytestmark = pytest.mark.django_db(transaction=True)

RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""


def open_and_collect(page: Page, url: str) -> list[str]:
    """Load the page, let its scripts run, and return every CSP refusal it caused."""
    console: list[str] = []
    page.on(
        "console",
        lambda message: (
            console.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.add_init_script(RECORD_VIOLATIONS)
    response = page.goto(url)
    assert response is not None and response.ok, (url, response and response.status)
    assert "Content-Security-Policy" in {name.title() for name in response.headers}
    page.wait_for_load_state("networkidle")
    return [*page.evaluate("window.__cspViolations"), *console]


@pytest.fixture
def anonymous_page(new_context):
    return new_context().new_page()


@pytest.mark.parametrize(
    "path", ["/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"]
)
def test_sign_in_pages_load_without_csp_violations(anonymous_page, live_server, path):
    assert open_and_collect(anonymous_page, live_server.url + path) == []


def test_pet_parent_pages_load_without_csp_violations(page_for, live_server, appointment, parent):
    send_message(parent, appointment, "hi")
    page = page_for(parent)
    for path in ["/appointments/", f"/appointments/{appointment.pk}/", "/api/docs/"]:
        assert open_and_collect(page, live_server.url + path) == [], path
    assert page.js_errors == []


def test_vet_pages_load_without_csp_violations(page_for, live_server, appointment, vet):
    page = page_for(vet)
    for path in ["/dashboard/", f"/appointments/{appointment.pk}/"]:
        assert open_and_collect(page, live_server.url + path) == [], path
    assert page.js_errors == []


def test_admin_loads_without_csp_violations(page_for, live_server, staff, appointment):
    page = page_for(staff)
    for path in [
        "/admin/",
        "/admin/accounts/user/",
        f"/admin/accounts/user/{staff.pk}/change/",
        f"/admin/chat/chat/conversation/{appointment.pk}/",
        "/admin/audit/auditevent/",
    ]:
        assert open_and_collect(page, live_server.url + path) == [], path


def test_the_api_docs_render_their_operations(page_for, live_server, parent):
    page = page_for(parent)
    assert open_and_collect(page, live_server.url + "/api/docs/") == []
    assert page.locator(".opblock").count() > 0


def test_a_blocked_inline_script_is_reported(anonymous_page, live_server):
    """The collector itself sees a refusal, so the tests above cannot pass by seeing nothing."""
    anonymous_page.goto(live_server.url + "/accounts/login/")
    anonymous_page.add_init_script(RECORD_VIOLATIONS)
    anonymous_page.reload()
    anonymous_page.evaluate(
        """() => { const s = document.createElement("script");
                   s.textContent = "window.injected = 1"; document.body.append(s); }"""
    )
    anonymous_page.wait_for_timeout(200)
    assert anonymous_page.evaluate("window.injected") is None
    assert any("script-src" in v for v in anonymous_page.evaluate("window.__cspViolations"))


def test_pages_and_api_answers_are_never_stored(client_for, parent, appointment):
    client: Client = client_for(parent)
    for path in [
        f"/appointments/{appointment.pk}/",
        "/api/appointments/",
        f"/api/appointment-chat/messages?appointmentId={appointment.pk}",
        "/accounts/login/",
    ]:
        response = client.get(path)
        assert "no-store" in response["Cache-Control"], path
        assert "private" in response["Cache-Control"], path


def test_mfa_enrolment_shows_its_qr_code_without_csp_violations(page_for, live_server):
    vet = VetFactory(totp=False)
    page = page_for(vet)
    page.add_init_script(RECORD_VIOLATIONS)
    page.goto(live_server.url + "/dashboard/")
    # sent to enrolment; allauth asks for the password again first
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("confirm", re.I)).click()
    page.wait_for_url("**/accounts/2fa/totp/activate/")
    qr = page.locator("img[src^='data:image/svg+xml']")
    expect(qr).to_be_visible()
    assert page.evaluate("document.querySelector('img').naturalWidth") > 0
    assert page.evaluate("window.__cspViolations") == []
