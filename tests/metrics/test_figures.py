from datetime import timedelta
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext

from metrics.models import ReplyGoal
from metrics.selectors import clinic_figures, inbox_now
from tests.factories import ClinicFactory, VetFactory
from tests.metrics.conftest import LONG_POOL, NOW, local, new_chat, say, with_hours


def test_this_weeks_share_late_and_median_first_reply(week):
    figures = clinic_figures(clinic=week.clinic, now=NOW)

    assert figures.week_start == local(11, 16, 0)
    # A-F's seven questions; F has waited half an hour, so six are settled, three of them late
    # (B 75 min, D 91 min, E unanswered for 120 min).
    assert (figures.week.questions, figures.week.settled, figures.week.late) == (7, 6, 3)
    assert figures.week.late_share == 50
    # 20, 30, 40, 75, 91 business minutes: lunch, the night and the clinic notice not counted.
    assert figures.week.median_minutes == 40
    assert figures.goal == Decimal("5.0")
    assert figures.over_goal


def test_figures_by_person_who_gave_the_first_reply(week):
    figures = clinic_figures(clinic=week.clinic, now=NOW)

    rows = [
        (g.key.name, g.summary.questions, g.summary.late_share, g.summary.median_minutes)
        for g in figures.by_person
    ]
    assert rows == [("Dr. One", 3, 0, 30), ("Dr. Two", 2, 100, 83)]


def test_figures_by_pool(week):
    figures = clinic_figures(clinic=week.clinic, now=NOW)

    rows = {
        g.key: (g.summary.questions, g.summary.late, g.summary.settled, g.summary.median_minutes)
        for g in figures.by_pool
    }
    assert rows == {
        "Nursing": (3, 1, 3, 40),
        LONG_POOL: (1, 1, 1, 91),
        "": (3, 1, 2, 30),  # C kept by a vet, E and F not routed
    }
    assert [g.key for g in figures.by_pool] == ["Nursing", LONG_POOL, ""]


def test_urgent_chats_and_their_time_to_acknowledgement(week):
    figures = clinic_figures(clinic=week.clinic, now=NOW)

    rows = [(u.pet_name, u.minutes_to_acknowledge) for u in figures.urgent]
    assert rows == [
        (week.chats["F"].appointment.pet.name, None),
        (week.chats["E"].appointment.pet.name, 7),
    ]
    assert figures.urgent_median_minutes == 7


def test_the_last_eight_weeks(week):
    figures = clinic_figures(clinic=week.clinic, now=NOW)

    assert [w.start for w in figures.weeks] == [
        local(9, 28, 0),
        local(10, 5, 0),
        local(10, 12, 0),
        local(10, 19, 0),
        local(10, 26, 0),  # summer time: the clinic's Monday, not UTC's
        local(11, 2, 0),
        local(11, 9, 0),
        local(11, 16, 0),
    ]
    assert [w.summary.late_share for w in figures.weeks] == [
        None,
        None,
        None,
        None,
        0,  # H, answered in 10 minutes
        None,
        100,  # G: asked Friday 16:00, answered Monday 08:10, 70 business minutes
        50,
    ]
    assert figures.weeks[6].summary.median_minutes == 70


def test_inbox_states_now(week):
    inbox = inbox_now(clinic_id=week.clinic.pk, since=local(11, 16, 0))

    # F: unread on the clinic's side (the parent's own cursor does not count); E: read by
    # Dr. One, unanswered; A, B, C, D and G answered this week (H before it).
    assert (inbox.new, inbox.opened, inbox.answered) == (1, 1, 5)


def test_the_goal_is_the_clinics_own(week):
    ReplyGoal.objects.create(clinic=week.clinic, late_share=Decimal("60"))

    figures = clinic_figures(clinic=week.clinic, now=NOW)

    assert figures.goal == Decimal("60.0")
    assert not figures.over_goal


def test_a_new_clinic_has_no_figures(db):
    clinic = ClinicFactory(time_zone="America/New_York")

    figures = clinic_figures(clinic=clinic, now=NOW)

    assert figures.week.questions == 0
    assert figures.week.late_share is None
    assert figures.week.median_minutes is None
    assert (figures.by_pool, figures.by_person, figures.urgent) == ([], [], [])
    assert all(w.summary.questions == 0 for w in figures.weeks)


def test_a_clinic_without_hours_counts_every_minute(db):
    clinic = ClinicFactory(time_zone="America/New_York")
    vet = VetFactory(clinics=clinic)
    chat = new_chat(clinic, vet)
    say(chat, chat.appointment.pet_parent, local(11, 16, 23))
    say(chat, vet, local(11, 17, 0, 30))

    figures = clinic_figures(clinic=clinic, now=NOW)

    assert (figures.week.late, figures.week.median_minutes) == (1, 90)


def test_the_figures_take_the_same_queries_for_few_and_many_messages(week):
    clinic_figures(clinic=week.clinic, now=NOW)  # the clinic's settings, kept per process
    with CaptureQueriesContext(connection) as few:
        clinic_figures(clinic=week.clinic, now=NOW)

    for hour in range(9, 16):
        chat = new_chat(week.clinic, week.one)
        for day in (16, 17, 18):
            say(chat, chat.appointment.pet_parent, local(11, day, hour, 1))
            say(chat, week.two, local(11, day, hour, 40))
    with CaptureQueriesContext(connection) as many:
        figures = clinic_figures(clinic=week.clinic, now=NOW)

    assert figures.week.questions == 7 + 7 * 3
    # the goal, the weeks' messages, their chats' earlier writers, the repliers' names, the
    # pools, the urgent chats, the inbox
    assert len(few) == len(many) == 7


def test_only_the_clinics_own_messages_count(week):
    other = with_hours(ClinicFactory(time_zone="America/New_York"))
    chat = new_chat(other, VetFactory(clinics=other))
    say(chat, chat.appointment.pet_parent, local(11, 16, 9))

    figures = clinic_figures(clinic=week.clinic, now=NOW)

    assert figures.week.questions == 7
    assert clinic_figures(clinic=other, now=NOW).week.questions == 1


def test_a_question_asked_before_the_weeks_charted_is_not_counted(week):
    chat = new_chat(week.clinic, week.one)
    say(chat, chat.appointment.pet_parent, NOW - timedelta(weeks=9))
    say(chat, chat.appointment.pet_parent, local(11, 18, 9))
    say(chat, week.one, local(11, 18, 9, 5))

    figures = clinic_figures(clinic=week.clinic, now=NOW)

    assert figures.week.questions == 7
