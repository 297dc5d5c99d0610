"""Every change of the on-call pages: paging for an urgent chat, acknowledging, escalating.

A chat's pages go in rounds: the people on shift at the lowest level (or, with nobody on shift,
the clinic's emergency list) are paged together; any one of them acknowledges for the round,
and a round still waiting at its due time is escalated to the next level on shift, then to the
emergency list, after which it ends unanswered. An acknowledgement and an escalation each lock
the round's page rows (in primary-key order) in one transaction and decide from the state they
find, so of two racing exactly one changes anything. Every page, acknowledgement and escalation
writes a clinic notice into the chat and an audit event, in the same transaction.
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse

from accounts.models import User
from appointments.access import Action, ActionNotPermitted, AppointmentNotFound, access_appointment
from audit.models import USER_AGENT_LENGTH, AuditEvent
from chat.models import Chat
from oncall.models import EMERGENCY_LEVEL, Page
from oncall.selectors import emergency_list, has_rota, shifts_at
from tenancy.models import Clinic
from tenancy.zones import clinic_time
from vetchat.errors import Conflict, NotFound

logger = logging.getLogger(__name__)

State = Page.State
# What the escalation job's priority is among the notifications queue's jobs: a page that
# should move on is as pressing as a call that should stop ringing.
ESCALATE_PRIORITY = 10
_LINK_SALT = "oncall.page"
# A page's link in an email or text opens it for this long; the page itself stays reachable
# from the appointment for whoever may see it.
LINK_MAX_AGE = timedelta(days=2)


class PageNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("No such page.")


class PageClosed(Conflict):
    """The page no longer waits: passed on, answered by someone else, or unanswered."""


def ack_window() -> timedelta:
    return timedelta(minutes=settings.VETCHAT_ONCALL_ACK_MINUTES)


def _minutes() -> str:
    minutes = settings.VETCHAT_ONCALL_ACK_MINUTES
    return f"{minutes} minute" if minutes == 1 else f"{minutes} minutes"


# Links -------------------------------------------------------------------------------------


def page_path(page_id: UUID) -> str:
    return reverse("oncall_page", args=[page_id])


def page_link(page_id: UUID) -> str:
    """The absolute, signed address an email or text gives for the page; it leads to the page,
    through sign-in when the reader is not signed in."""
    token = signing.dumps(str(page_id), salt=_LINK_SALT, compress=True)
    return settings.VETCHAT_BASE_URL + reverse("oncall_page_link", args=[token])


def page_of_link(token: str) -> UUID | None:
    """The page a link names, or None for anything not signed here or too old."""
    try:
        return UUID(signing.loads(token, salt=_LINK_SALT, max_age=LINK_MAX_AGE))
    except (signing.BadSignature, ValueError, TypeError):
        return None


# Who is paged ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    person: User
    text_to: str  # the shift's pager phone, "" for none


def next_targets(
    *, clinic_id: int, at: datetime, after_level: int | None
) -> tuple[int, list[Target]]:
    """The level to page at `at` and its people: the lowest level on shift above `after_level`
    (None: any level), else the emergency list; after the emergency list, nobody."""
    if after_level == EMERGENCY_LEVEL:
        return EMERGENCY_LEVEL, []
    shifts = shifts_at(clinic_id, at).select_related("clinician")
    if after_level is not None:
        shifts = shifts.filter(level__gt=after_level)
    shifts = list(shifts)
    if shifts:
        level = shifts[0].level
        people: dict[UUID, Target] = {}
        for shift in shifts:
            if shift.level != level:
                break
            known = people.get(shift.clinician_id)
            if known is None or (not known.text_to and shift.pager_phone):
                people[shift.clinician_id] = Target(shift.clinician, shift.pager_phone)
        return level, list(people.values())
    contacts = emergency_list(clinic_id).select_related("clinician")
    return EMERGENCY_LEVEL, [Target(contact.clinician, "") for contact in contacts]


def _names(people: Iterable[str]) -> str:
    names = list(people)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


# Paging ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Urgent:
    """What a page is about: the urgent mark's clinic, chat, message and sign."""

    clinic_id: int
    chat_id: int
    seq: int
    sign: str


def urgent_page(*, urgent: Urgent, now: datetime) -> list[Page]:
    """Page the people on call about a chat just marked urgent; returns the pages sent.

    A clinic without a rota pages nobody (its banner and email are the alarm), and a chat with
    a page still waiting is not paged again for a later flag. The chat's row lock orders two
    flags racing here: the second finds the first's pages waiting.
    """
    if not has_rota(urgent.clinic_id):
        return []
    with transaction.atomic():
        appointment_id = (
            Chat.objects.select_for_update()
            .filter(pk=urgent.chat_id)
            .values_list("appointment_id", flat=True)
            .first()
        )
        if appointment_id is None:
            return []
        pages = Page.objects.filter(chat_id=urgent.chat_id)
        if pages.filter(state=State.WAITING).exists():
            return []
        last = pages.order_by("-round").values_list("round", flat=True).first() or 0
        return _round_page(
            urgent=urgent,
            appointment_id=appointment_id,
            round_=last + 1,
            after_level=None,
            now=now,
            escalated_from=None,
        )


def _round_page(
    *,
    urgent: Urgent,
    appointment_id: UUID,
    round_: int,
    after_level: int | None,
    now: datetime,
    escalated_from: Page | None,
) -> list[Page]:
    """Page the next level's people as one round, in the caller's transaction: the pages, the
    chat's notice, the audit events, the emails, texts and the escalation job go with it."""
    from sms.enabled import sms_enabled

    level, targets = next_targets(clinic_id=urgent.clinic_id, at=now, after_level=after_level)
    if not targets:
        return []
    texts = sms_enabled()
    pages = Page.objects.bulk_create(
        Page(
            clinic_id=urgent.clinic_id,
            chat_id=urgent.chat_id,
            seq=urgent.seq,
            sign=urgent.sign[: Page._meta.get_field("sign").max_length],
            round=round_,
            level=level,
            person=target.person,
            paged_at=now,
            due_at=now + ack_window(),
            text_to=target.text_to if texts else "",
        )
        for target in targets
    )
    as_what = "emergency list" if level == EMERGENCY_LEVEL else "on call"
    paged = _names(f"{target.person.display_name} ({as_what})" for target in targets)
    verb = "was" if len(targets) == 1 else "were"
    if escalated_from is None:
        notice = f"{paged} {verb} paged."
    else:
        notice = f"Not acknowledged in {_minutes()}: {paged} {verb} paged."
    _notice(appointment_id, notice)
    _audit(
        AuditEvent.Action.ONCALL_PAGED,
        [(page.person_id, page) for page in pages],
        clinic_id=urgent.clinic_id,
        appointment_id=appointment_id,
        at=now,
    )
    _escalation_defer(chat_id=urgent.chat_id, round_=round_, at=now + ack_window())
    for page in pages:
        _email_queue(page, appointment_id)
        if page.text_to:
            _text_defer(page)
    transaction.on_commit(lambda: _push(pages, appointment_id))
    return pages


def _notice(appointment_id: UUID, content: str) -> None:
    from chat.services import system_entry_post

    system_entry_post(appointment_id=appointment_id, content=content)


def _audit(
    action: str,
    who: list[tuple[UUID, Page]],
    *,
    clinic_id: int,
    appointment_id: UUID,
    at: datetime,
    ip: str | None = None,
    user_agent: str = "",
) -> None:
    AuditEvent.objects.bulk_create(
        AuditEvent(
            user_id=user_id,
            action=action,
            clinic_id=clinic_id,
            appointment_id=appointment_id,
            object_id=f"page {page.pk}",
            at=at,
            ip=ip,
            user_agent=user_agent[:USER_AGENT_LENGTH],
        )
        for user_id, page in who
    )


def _escalation_defer(*, chat_id: int, round_: int, at: datetime) -> None:
    """The job that escalates the round at its due time if it still waits; deferred in the
    paging's transaction, so it goes with it. The periodic run is the net for a lost job."""
    from oncall.tasks import escalate_page_round

    escalate_page_round.configure(schedule_at=at, priority=ESCALATE_PRIORITY).defer(
        chat_id=chat_id, round=round_
    )


def _about(page: Page, appointment_id: UUID) -> dict:
    from appointments.models import Appointment

    appointment = Appointment.objects.select_related("pet", "pet_parent", "clinic").get(
        pk=appointment_id
    )
    return {
        "page": page,
        "appointment": appointment,
        "clinic": appointment.clinic,
        "paged_at": clinic_time(page.paged_at, appointment.clinic_id),
        "due_at": clinic_time(page.due_at, appointment.clinic_id),
        "minutes": _minutes(),
        "link": page_link(page.pk),
    }


def _email_queue(page: Page, appointment_id: UUID) -> None:
    from notifications.mail import email_queue, header_text

    context = _about(page, appointment_id)
    clinic: Clinic = context["clinic"]
    pet = header_text(context["appointment"].pet.name, limit=60)
    message = EmailMessage(
        subject=f"Urgent, on call: {pet} · {header_text(page.sign, limit=60)} · {clinic.name}",
        body=render_to_string("oncall/page_email.txt", context),
        to=[page.person.email],
        headers={"Auto-Submitted": "auto-generated"},
    )
    email_queue(message, kind="oncall_page")


def _text_defer(page: Page) -> None:
    from oncall.tasks import send_page_text

    send_page_text.defer(page_id=str(page.pk))


def _push(pages: list[Page], appointment_id: UUID) -> None:
    """A web push to each paged person's browsers: best effort, the email is the record."""
    from notifications.push import push_configured, push_send

    if not push_configured():
        return
    for page in pages:
        try:
            push_send(
                user=page.person,
                title="Urgent: you are paged",
                body=f"{page.sign or 'A red flag'}: acknowledge within {_minutes()}.",
                url=settings.VETCHAT_BASE_URL + page_path(page.pk),
            )
        except Exception:  # one browser's failure must not keep the others from their push
            logger.exception("Push for page %s failed", page.pk)


# Texts -------------------------------------------------------------------------------------


def page_text_body(page: Page) -> str:
    from appointments.models import Appointment

    pet, clinic = (
        Appointment.objects.filter(chat__pk=page.chat_id)
        .values_list("pet__name", "clinic__name")
        .get()
    )
    return (
        f"{clinic}: urgent chat about {pet} ({page.sign or 'red flag'}). "
        f"Acknowledge within {_minutes()}: {page_link(page.pk)}"
    )


def page_text_send(*, page_id: UUID, now: datetime) -> Page | None:
    """Send the page's text to the shift's pager phone through the sms app's Twilio client.
    Raises what a later attempt may mend (no connection, a 5xx), so the job retries."""
    from twilio.base.exceptions import TwilioRestException

    from sms.client import twilio_client
    from sms.enabled import sms_enabled
    from sms.retry import is_outage

    page = Page.objects.filter(pk=page_id).first()
    if page is None or not page.text_to or page.text_sid or page.text_error:
        return page  # no text, sent by an earlier run, or already refused
    if not sms_enabled():
        return _text_failed(page, "texts are turned off")
    options = {"to": page.text_to, "body": page_text_body(page)}
    if settings.TWILIO_MESSAGING_SERVICE_SID:
        options["messaging_service_sid"] = settings.TWILIO_MESSAGING_SERVICE_SID
    else:
        options["from_"] = settings.TWILIO_FROM
    try:
        message = twilio_client().messages.create(**options)
    except TwilioRestException as error:
        if is_outage(error):
            raise
        logger.warning("Page text %s refused by Twilio: %s %s", page.pk, error.status, error.code)
        return _text_failed(page, f"refused by the provider ({error.code or error.status})")
    Page.objects.filter(pk=page.pk).update(text_sid=message.sid, text_sent_at=now)
    page.text_sid, page.text_sent_at = message.sid, now
    return page


def page_text_give_up(*, page_id: UUID) -> Page | None:
    page = Page.objects.filter(pk=page_id, text_sid="", text_error="").first()
    return None if page is None else _text_failed(page, "the text provider could not be reached")


def _text_failed(page: Page, reason: str) -> Page:
    Page.objects.filter(pk=page.pk).update(text_error=reason[:200])
    page.text_error = reason[:200]
    return page


# Acknowledging -----------------------------------------------------------------------------


def page_access(*, user: User, page_id: UUID | str) -> Page:
    """The page, if this user may see it: the paged person (their own page, in any state), or
    whoever may view the appointment. Anyone else is told it does not exist."""
    try:
        page = Page.objects.select_related("chat", "person").filter(pk=page_id).first()
    except (ValueError, TypeError):
        page = None
    if page is None or not user.is_authenticated:
        raise PageNotFound
    if page.person_id == user.pk and user.is_active and user.works_at(page.clinic_id):
        return page
    try:
        access_appointment(user=user, appointment_id=page.chat.appointment_id, action=Action.VIEW)
    except AppointmentNotFound:
        raise PageNotFound from None
    return page


def _round_locked(page: Page) -> list[Page]:
    """The round's pages, locked in primary-key order: the one order an acknowledgement and an
    escalation both take, so neither waits on the other in a cycle."""
    return list(
        Page.objects.select_for_update()
        .select_related("person")
        .filter(chat_id=page.chat_id, round=page.round)
        .order_by("pk")
    )


def page_acknowledge(
    *, user: User, page_id: UUID | str, now: datetime, ip: str | None = None, user_agent: str = ""
) -> Page:
    """The paged person acknowledges: their round stops waiting (the others of it stand down),
    they join the appointment's care team, and the chat and the audit trail record it.

    Acknowledging one's own acknowledged page again changes nothing. A page no longer waiting
    (passed on to the next level, answered by another, unanswered) is a `PageClosed` naming
    what happened.
    """
    page = page_access(user=user, page_id=page_id)
    if page.person_id != user.pk:
        raise ActionNotPermitted(Action.ACKNOWLEDGE_PAGE)
    appointment_id = page.chat.appointment_id
    with transaction.atomic():
        locked = {each.pk: each for each in _round_locked(page)}
        page = locked[page.pk]
        if page.state == State.ACKNOWLEDGED:
            return page
        if page.state != State.WAITING:
            raise PageClosed(_closed_reason(page))
        Page.objects.filter(pk=page.pk).update(
            state=State.ACKNOWLEDGED, acknowledged_at=now, ended_at=now
        )
        others = [p.pk for p in locked.values() if p.pk != page.pk and p.state == State.WAITING]
        Page.objects.filter(pk__in=others).update(state=State.STOOD_DOWN, ended_at=now)
        page.state, page.acknowledged_at, page.ended_at = State.ACKNOWLEDGED, now, now
        _care_team_join(appointment_id=appointment_id, user=user)
        _notice(appointment_id, f"{user.display_name} acknowledged the page.")
        _audit(
            AuditEvent.Action.ONCALL_ACKNOWLEDGED,
            [(user.pk, page)],
            clinic_id=page.clinic_id,
            appointment_id=appointment_id,
            at=now,
            ip=ip,
            user_agent=user_agent,
        )
    return page


def _care_team_join(*, appointment_id: UUID, user: User) -> None:
    """Put the acknowledging clinician on the care team, so the chat stays theirs to answer once
    the page's standing ends; added in the appointment's vet's name (who may manage the team),
    through the care team's own service. Someone already in is left as they are."""
    from appointments.models import Appointment
    from appointments.services import team_member_add
    from vetchat.errors import DomainError

    vet = Appointment.objects.select_related("veterinarian").get(pk=appointment_id).veterinarian
    if vet.pk == user.pk:
        return
    try:
        with transaction.atomic():
            team_member_add(appointment_id=appointment_id, by=vet, user_id=user.pk)
    except (Conflict, IntegrityError):
        return  # already on the team
    except DomainError:
        # The vet may no longer manage the team (left the clinic, deactivated): the
        # acknowledgement stands, and the page's standing keeps the chat open to them.
        logger.warning("Page acknowledged on %s, but its care team took nobody", appointment_id)


def _closed_reason(page: Page) -> str:
    """Why a page can no longer be acknowledged, in words, with the clinic's time."""

    def at(moment: datetime | None) -> str:
        return f"{clinic_time(moment, page.clinic_id):%H:%M}" if moment else ""

    if page.state == State.ESCALATED:
        passed = Page.objects.filter(chat_id=page.chat_id, round=page.round + 1).select_related(
            "person"
        )
        names = [p.person.display_name for p in passed]
        if names:
            return f"This page was passed to {_names(names)} at {at(page.ended_at)}."
        return f"This page was passed on at {at(page.ended_at)}."
    if page.state == State.STOOD_DOWN:
        answered = (
            Page.objects.filter(chat_id=page.chat_id, round=page.round, state=State.ACKNOWLEDGED)
            .select_related("person")
            .first()
        )
        if answered is not None:
            return (
                f"{answered.person.display_name} acknowledged this page at "
                f"{at(answered.acknowledged_at)}."
            )
    return (
        f"This page was not acknowledged in {_minutes()} and ended at {at(page.ended_at)}: "
        "answer in the chat itself."
    )


# Escalating --------------------------------------------------------------------------------


def round_escalate_if_due(*, chat_id: int, round_: int, now: datetime) -> str:
    """Escalate the chat's round if it still waits at `now`, past its due time: its pages become
    escalated and the next level is paged, or, with nobody further to page, they end
    unanswered. The job's body; returns the round's state afterwards ("" for no such round)."""
    with transaction.atomic():
        first = Page.objects.filter(chat_id=chat_id, round=round_).order_by("pk").first()
        if first is None:
            return ""
        pages = _round_locked(first)
        waiting = [page for page in pages if page.state == State.WAITING]
        if not waiting:
            return pages[0].state if len(pages) == 1 else _outcome(pages)
        if any(page.due_at > now for page in waiting):
            return State.WAITING
        appointment_id = Chat.objects.values_list("appointment_id", flat=True).get(pk=chat_id)
        sample = waiting[0]
        urgent = Urgent(
            clinic_id=sample.clinic_id, chat_id=chat_id, seq=sample.seq, sign=sample.sign
        )
        paged = _round_page(
            urgent=urgent,
            appointment_id=appointment_id,
            round_=round_ + 1,
            after_level=sample.level,
            now=now,
            escalated_from=sample,
        )
        state = State.ESCALATED if paged else State.UNANSWERED
        Page.objects.filter(pk__in=[page.pk for page in waiting]).update(state=state, ended_at=now)
        if not paged:
            _notice(
                appointment_id,
                f"Not acknowledged in {_minutes()}, and nobody else is on call to page. If "
                "this is an emergency, phone the clinic or an emergency hospital now.",
            )
        _audit(
            AuditEvent.Action.ONCALL_ESCALATED,
            [(page.person_id, page) for page in waiting],
            clinic_id=sample.clinic_id,
            appointment_id=appointment_id,
            at=now,
        )
        return state


def _outcome(pages: list[Page]) -> str:
    states = {page.state for page in pages}
    for state in (State.ACKNOWLEDGED, State.ESCALATED, State.UNANSWERED):
        if state in states:
            return state
    return pages[0].state


def pages_overdue_escalate(*, now: datetime, limit: int = 100) -> int:
    """The periodic net: escalate every round a lost job left waiting past its due time.
    Returns how many rounds moved."""
    due = (
        Page.objects.filter(state=State.WAITING, due_at__lte=now)
        .values_list("chat_id", "round")
        .distinct()
        .order_by("chat_id", "round")[:limit]
    )
    moved = 0
    for chat_id, round_ in list(due):
        if round_escalate_if_due(chat_id=chat_id, round_=round_, now=now) != State.WAITING:
            moved += 1
    return moved
