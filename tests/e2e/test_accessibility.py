"""axe-core over every page, as each role that sees it, on a phone and on a desktop: no violation
of WCAG 2.2 A/AA or of axe's best practices, of any impact."""

import html
import re
from dataclasses import dataclass
from datetime import timedelta
from itertools import pairwise

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from appointments.models import Appointment
from appointments.services import co_owner_invite
from chat.models import Message
from chat.shapes import message_url
from notifications.tokens import unsubscribe_token
from tests.care_team import co_owner, team_member
from tests.e2e.a11y import axe_violations, describe
from tests.e2e.test_csp import RECORD_VIOLATIONS
from tests.factories import (
    PASSWORD,
    AppointmentFactory,
    PetParentFactory,
    TechnicianFactory,
    VetFactory,
    fill_chat_with_every_kind,
    send_message,
)

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = [360, 1280]


@dataclass
class Clinic:
    parent: object
    lonely_parent: object
    vet: object
    appointment: Appointment
    cancelled: Appointment
    nurse: object = None
    co_owner: object = None
    invitee: object = None
    invitation_token: str = ""


@pytest.fixture
def clinic(parent, vet, tmp_path) -> Clinic:
    appointment = AppointmentFactory(pet__owner=parent, pet__name="Rex", veterinarian=vet)
    fill_chat_with_every_kind(appointment, parent, vet)
    cancelled = AppointmentFactory(
        pet__owner=parent, pet__name="Bella", veterinarian=vet, starts_at=timezone.now()
    )
    send_message(parent, cancelled, "Can we move this to next week?")
    send_message(vet, cancelled, "Of course, the front desk will call you.")
    Appointment.objects.filter(pk=cancelled.pk).update(status=Appointment.Status.CANCELLED)
    # a prescription two days unacknowledged, for the vet's dashboard to list
    overdue = AppointmentFactory(pet__owner=parent, pet__name="Milo", veterinarian=vet)
    rx = send_message(
        vet, overdue, "", message_type="prescription", payload={"medication": "Meloxicam"}
    )
    Message.objects.filter(pk=rx.id).update(created_at=timezone.now() - timedelta(days=2))
    # a nurse on the team who wrote, a co-owner who wrote, a pending invitation
    nurse = team_member(
        appointment, name="Sam Lee-Montgomery-Fairweather", job_title="Veterinary nurse"
    )
    send_message(nurse, appointment, "Keep the cone on overnight, please.")
    robin = co_owner(appointment, name="Robin Alexandra Morgan-Featherstonehaugh")
    send_message(robin, appointment, "Will do, thank you.")
    VetFactory(name="Dr. Ravi Patel")  # someone to hand over to
    TechnicianFactory(name="Kim Okafor", job_title="Receptionist")  # someone to add
    invitee = PetParentFactory(email="invitee@example.com")
    _, token = co_owner_invite(pet_id=appointment.pet.pk, by=parent, email=invitee.email)
    return Clinic(
        parent,
        PetParentFactory(name="Sam Lee"),
        vet,
        appointment,
        cancelled,
        nurse=nurse,
        co_owner=robin,
        invitee=invitee,
        invitation_token=token,
    )


def password_reset_path(user) -> str:
    """The link of the password-reset email (and of the set-your-password one)."""
    from allauth.account.forms import default_token_generator
    from allauth.account.utils import user_pk_to_url_str

    key = default_token_generator.make_token(user)
    return f"/accounts/password/reset/key/{user_pk_to_url_str(user)}-{key}/"


def confirm_email_path() -> str:
    """The link of the email that confirms a new pet parent's address, not yet confirmed."""
    from allauth.account.models import EmailAddress, EmailConfirmationHMAC

    user = PetParentFactory(name="Jo Newcomer")
    address, _ = EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"verified": False, "primary": True}
    )
    return f"/accounts/confirm-email/{EmailConfirmationHMAC(address).key}/"


# (page, who sees it, path): None is a visitor who is not signed in.
PAGES = [
    ("sign-in", None, lambda c: "/accounts/login/"),
    ("sign-up", None, lambda c: "/accounts/signup/"),
    ("password reset", None, lambda c: "/accounts/password/reset/"),
    ("password reset sent", None, lambda c: "/accounts/password/reset/done/"),
    ("address to confirm", None, lambda c: "/accounts/confirm-email/"),
    ("404", None, lambda c: "/no-such-page/"),
    (
        "unsubscribe",
        None,
        lambda c: f"/notifications/unsubscribe/{unsubscribe_token(c.parent.pk)}/",
    ),
    ("unsubscribe, bad link", None, lambda c: "/notifications/unsubscribe/nonsense/"),
    ("set a new password", None, lambda c: password_reset_path(c.parent)),
    ("set a new password, bad link", None, lambda c: "/accounts/password/reset/key/0-x/"),
    ("confirm an address", None, lambda c: confirm_email_path()),
    ("my appointments", "parent", lambda c: "/appointments/"),
    ("my appointments, empty", "lonely_parent", lambda c: "/appointments/"),
    ("appointment page", "parent", lambda c: f"/appointments/{c.appointment.pk}/"),
    ("read-only chat", "parent", lambda c: f"/appointments/{c.cancelled.pk}/"),
    ("404", "parent", lambda c: "/no-such-page/"),
    ("notification preferences", "parent", lambda c: "/preferences/"),
    ("email addresses", "parent", lambda c: "/accounts/email/"),
    ("password change", "parent", lambda c: "/accounts/password/change/"),
    ("two-factor authentication", "vet", lambda c: "/accounts/2fa/"),
    ("notification preferences", "vet", lambda c: "/preferences/"),
    ("dashboard", "vet", lambda c: "/dashboard/"),
    ("canned answers", "vet", lambda c: "/canned-answers/"),
    ("appointment page", "vet", lambda c: f"/appointments/{c.appointment.pk}/"),
    ("read-only chat", "vet", lambda c: f"/appointments/{c.cancelled.pk}/"),
    ("appointment page", "nurse", lambda c: f"/appointments/{c.appointment.pk}/"),
    ("dashboard", "nurse", lambda c: "/dashboard/"),
    ("appointment page", "co_owner", lambda c: f"/appointments/{c.appointment.pk}/"),
    ("my appointments", "co_owner", lambda c: "/appointments/"),
    (
        "co-owner invitation",
        "invitee",
        lambda c: f"/co-owners/accept/{c.invitation_token}/",
    ),
    ("co-owner invitation, bad link", "invitee", lambda c: "/co-owners/accept/nonsense/"),
    ("search", "parent", lambda c: "/search/"),
    ("search results", "parent", lambda c: "/search/?q=ear+OR+prescription+OR+thanks"),
    ("search results", "vet", lambda c: "/search/?q=ear+OR+prescription+OR+thanks"),
    ("search results", "nurse", lambda c: "/search/?q=ear+OR+prescription+OR+thanks"),
    ("search, nothing found", "vet", lambda c: "/search/?q=%22blue+tongue%22+-cat"),
    ("search, refused query", "parent", lambda c: "/search/?q=" + "x" * 201),
    ("appointment page, at a search result", "parent", lambda c: found_url(c, 2)),
    ("appointment page, at a search result", "vet", lambda c: found_url(c, 2)),
    ("appointment page, amending a prescription", "vet", lambda c: amend_url(c)),
]


def found_url(clinic: Clinic, seq: int) -> str:
    """The appointment page opened at one of its messages, as a search result links it."""
    message = Message.objects.get(chat__appointment=clinic.appointment, seq=seq)
    return message_url(clinic.appointment.pk, message.pk)


def amend_url(clinic: Clinic) -> str:
    """The appointment page opened to amend its first prescription, as its Amend link does."""
    rx = Message.objects.filter(chat__appointment=clinic.appointment, message_type="prescription")
    return f"/appointments/{clinic.appointment.pk}/?amend={rx.earliest('seq').pk}"


@pytest.fixture
def open_as(new_context, live_server, page_for, clinic):
    def open_page(role: str | None, path: str, width: int):
        if role is None:
            page = new_context(width=width).new_page()
        else:
            page = page_for(getattr(clinic, role), width=width)
        page.add_init_script(RECORD_VIOLATIONS)
        page.goto(f"{live_server.url}{path}")
        return page

    return open_page


def audit_at_every_width(page, what: str) -> None:
    """axe over the page as it stands, at a desktop's width and then a phone's: the same state
    laid out twice, without loading it again (no script of the pages reads the width)."""
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        violations = axe_violations(page)
        assert violations == [], f"{what} at {width} px:\n{describe(violations)}"


def assert_well_formed(page, what: str) -> None:
    """A language, one of each landmark, one h1 and no skipped heading level, and nothing the
    Content-Security-Policy refused."""
    page.wait_for_load_state("networkidle")
    assert page.evaluate("window.__cspViolations") == [], what
    assert page.get_attribute("html", "lang") == "en", what
    for landmark in ("banner", "navigation", "main"):
        expect(page.get_by_role(landmark)).to_have_count(1)
    levels = page.eval_on_selector_all(
        "h1, h2, h3, h4, h5, h6", "hs => hs.map((h) => Number(h.tagName[1]))"
    )
    assert levels[0] == 1 and levels.count(1) == 1, f"{what}: {levels}"
    assert all(b - a <= 1 for a, b in pairwise(levels)), what


def assert_reflows(page, what: str) -> None:
    """WCAG 1.4.10 and 1.4.12 at 320 px: no sideways scrolling, with the text spacing too, and
    no text cut. The spacing changes the page, so this comes last."""
    page.set_viewport_size({"width": 320, "height": 800})
    assert page.evaluate(SIDEWAYS) <= 0, f"{what} scrolls sideways at 320 px"
    add_text_spacing(page)
    assert page.evaluate(SIDEWAYS) <= 0, f"{what} scrolls sideways with text spacing"
    assert page.evaluate(CLIPPED) == [], f"{what}: text cut with text spacing"


@pytest.mark.parametrize(
    ("name", "role", "path"), PAGES, ids=[f"{name}-{role or 'visitor'}" for name, role, _ in PAGES]
)
def test_every_page_is_well_formed_passes_axe_and_reflows(open_as, clinic, name, role, path):
    what = f"{name} as {role or 'visitor'}"
    page = open_as(role, path(clinic), WIDTHS[-1])
    if "chat" in name or "appointment page" in name:
        expect(page.locator(".messages .message").first).to_be_visible()
    if name == "dashboard" and role == "vet":  # the appointment's vet is the one reminded
        expect(page.locator("[data-unacknowledged] li")).to_have_count(1)
    assert_well_formed(page, what)
    audit_at_every_width(page, what)
    assert_reflows(page, what)


def test_every_page_has_a_title_of_its_own(client_for, clinic):
    titles: dict[str, set[str]] = {}
    for name, role, path in PAGES:
        response = client_for(getattr(clinic, role) if role else None).get(
            path(clinic), follow=True
        )
        title = html.unescape(re.search(r"<title>(.*?)</title>", response.text, re.S)[1]).strip()
        # "my appointments, empty" is the same page as "my appointments", in another state
        titles.setdefault(title, set()).add(name.split(",")[0])
    repeated = {title: names for title, names in titles.items() if len(names) > 1}
    assert repeated == {}
    assert any("Rex" in title for title in titles)


def test_sign_in_errors_have_no_axe_violations(open_as, clinic):
    page = open_as(None, "/accounts/login/", WIDTHS[-1])
    page.get_by_label("Email").fill(clinic.parent.email)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".errorlist").first).to_be_visible()
    audit_at_every_width(page, "sign-in errors")


def test_refused_prescription_has_no_axe_violations(open_as, clinic):
    page = open_as("vet", f"/appointments/{clinic.appointment.pk}/", WIDTHS[-1])
    page.get_by_label("Prescription").check()
    page.get_by_label("Dose").fill("2 drops")
    page.get_by_label("Your message").press("Enter")
    expect(page.locator(".payload-fields .field-error")).to_be_visible()
    audit_at_every_width(page, "a refused prescription")


def test_refused_invitation_has_no_axe_violations(open_as, clinic):
    page = open_as("parent", "/appointments/", WIDTHS[-1])
    card = page.locator(f"#pet-{clinic.appointment.pet.pk}")
    card.get_by_label(re.compile("Invite a co-owner")).fill("not an address")
    card.get_by_role("button", name="Send invitation").click()
    expect(page.locator(".invite-form .field-error")).to_be_visible()
    audit_at_every_width(page, "a refused invitation")


def test_refused_hand_over_has_no_axe_violations(open_as, clinic):
    page = open_as("vet", f"/appointments/{clinic.appointment.pk}/", WIDTHS[-1])
    page.get_by_role("button", name="Hand over").click()  # no vet chosen
    # the browser's own check stops it first; without it the server says why
    page.evaluate("document.getElementById('hand-over-to')?.removeAttribute('required')")
    page.get_by_role("button", name="Hand over").click()
    expect(page.locator("#team-error")).to_be_visible()
    audit_at_every_width(page, "a refused hand-over")


# WCAG 1.4.12's text spacing, as the W3C's test bookmarklet sets it.
TEXT_SPACING = """
* { line-height: 1.5 !important; letter-spacing: 0.12em !important;
    word-spacing: 0.16em !important; }
p { margin-bottom: 2em !important; }
"""

# Elements whose text is cut: hidden overflow with more content than room, sideways or down.
# Scrolling boxes (the chat log, text areas), one-line fields (their text scrolls with the caret)
# and the visually hidden texts are meant to be so.
CLIPPED = """() => Array.from(document.querySelectorAll("body *")).filter((el) => {
  if (el.tagName === "INPUT") return false;
  const style = getComputedStyle(el);
  if (style.overflowX !== "hidden" && style.overflowY !== "hidden" && style.overflowX !== "clip")
    return false;
  if (el.closest(".visually-hidden") || el.offsetParent === null) return false;
  return el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1;
}).map((el) => el.className || el.tagName)"""


def add_text_spacing(page) -> None:
    """A constructed style sheet: the pages' Content-Security-Policy refuses an inline <style>."""
    page.evaluate(
        """(css) => {
          const sheet = new CSSStyleSheet();
          sheet.replaceSync(css);
          document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
        }""",
        TEXT_SPACING,
    )


SIDEWAYS = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"


def test_the_composer_stays_usable_at_320_px_with_text_spacing(open_as, clinic):
    page = open_as("vet", f"/appointments/{clinic.appointment.pk}/", 320)
    add_text_spacing(page)
    send = page.get_by_role("button", name="Send")
    send.scroll_into_view_if_needed()
    expect(send).to_be_in_viewport(ratio=1)
    box, viewport = send.bounding_box(), page.viewport_size
    assert box["x"] + box["width"] <= viewport["width"]
    page.get_by_label("Your message").fill("Checked at 400 % zoom")
    page.keyboard.press("Enter")
    expect(page.locator(".message.mine .content").last).to_have_text("Checked at 400 % zoom")


def test_reduced_motion_turns_off_smooth_scrolling_and_animations(open_as, clinic):
    page = open_as("parent", f"/appointments/{clinic.appointment.pk}/", 1280)
    page.emulate_media(reduced_motion="reduce")
    moving = page.evaluate(
        """() => {
          const probe = document.createElement("div");
          probe.style.transition = "opacity 2s";
          probe.style.animation = "spin 3s infinite";
          probe.style.scrollBehavior = "smooth";
          document.querySelector(".chat-log").append(probe);
          const style = getComputedStyle(probe);
          return [style.transitionDuration, style.animationDuration,
                  style.animationIterationCount, style.scrollBehavior];
        }"""
    )
    assert moving == ["1e-05s", "1e-05s", "1", "auto"]


def sign_in_with_password(page, live_server, user) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_the_second_factor_step_and_its_error_have_no_axe_violations(
    new_context, live_server, clinic
):
    page = new_context().new_page()
    sign_in_with_password(page, live_server, clinic.vet)
    page.wait_for_url("**/accounts/2fa/authenticate/")
    audit_at_every_width(page, "the second factor step")
    page.get_by_label(re.compile("code", re.I)).fill("000000")
    page.get_by_role("button", name=re.compile("sign in|authenticate|confirm", re.I)).click()
    expect(page.locator(".errorlist").first).to_be_visible()
    audit_at_every_width(page, "a wrong second factor code")


def test_enrolling_an_authenticator_has_no_axe_violations(page_for, live_server, clinic):
    page = page_for(VetFactory(totp=False))
    page.goto(f"{live_server.url}/dashboard/")
    # a vet without a second factor is sent to enrol; allauth asks for the password first
    audit_at_every_width(page, "the password asked before enrolling")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("confirm", re.I)).click()
    page.wait_for_url("**/accounts/2fa/totp/activate/")
    audit_at_every_width(page, "enrolling an authenticator")
    page.get_by_label(re.compile("authenticator code", re.I)).fill("000000")
    page.get_by_role("button", name=re.compile("activate", re.I)).click()
    expect(page.locator(".errorlist").first).to_be_visible()
    audit_at_every_width(page, "a wrong code while enrolling")


def test_live_states_of_the_chat_have_no_axe_violations(open_as, clinic):
    """What only appears while the chat is in use: a send that failed, with its Retry button,
    and the notice that the connection is lost."""
    page = open_as("parent", f"/appointments/{clinic.appointment.pk}/", WIDTHS[-1])
    expect(page.locator(".messages .message").first).to_be_visible()
    page.route("**/api/appointment-chat/messages**", lambda route: route.abort("connectionreset"))
    page.get_by_label("Your message").fill("Is the clinic open on Sunday?")
    page.get_by_label("Your message").press("Enter")
    expect(page.locator(".message.failed")).to_have_count(1)
    expect(page.locator(".connection-notice")).to_be_visible(timeout=15_000)
    audit_at_every_width(page, "a failed send and a lost connection")
