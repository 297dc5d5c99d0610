"""Questions and first replies from a run of messages, and the chart's geometry: pure."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

from metrics.chart import weeks_chart
from metrics.questions import Said, questions_of, summary_of
from metrics.templatetags.metrics_figures import minutes, percent

FAMILY, VET = uuid4(), uuid4()
START = datetime(2026, 11, 16, 9, tzinfo=UTC)


def at(minute: int) -> datetime:
    return START + timedelta(minutes=minute)


def wall(start: datetime, end: datetime) -> timedelta:
    return end - start


def said(chat_id: int, *messages: tuple[int, bool]) -> list[Said]:
    return [
        Said(chat_id, seq, at(minute), family, FAMILY if family else VET)
        for seq, (minute, family) in enumerate(messages, start=1)
    ]


def test_a_run_of_family_messages_is_one_question_answered_by_the_next_clinic_message():
    messages = said(1, (0, True), (5, True), (30, False), (31, False), (90, True), (200, False))
    found = questions_of(messages, family_wrote_last={}, now=at(300), business_time=wall)
    assert [(q.asked_at, q.replied_at, q.replier_id) for q in found] == [
        (at(0), at(30), VET),
        (at(90), at(200), VET),
    ]
    assert [q.late for q in found] == [False, True]


def test_a_run_begun_before_the_messages_read_is_not_asked_again():
    messages = said(1, (0, True), (10, False))
    found = questions_of(messages, family_wrote_last={1: True}, now=at(60), business_time=wall)
    assert found == []


def test_an_unanswered_question_is_late_once_an_hour_has_passed_and_waiting_before():
    messages = said(1, (0, True)) + said(2, (30, True))
    found = questions_of(messages, family_wrote_last={}, now=at(61), business_time=wall)
    assert [(q.answered, q.late, q.settled) for q in found] == [
        (False, True, True),
        (False, False, False),
    ]
    summary = summary_of(found)
    assert (summary.questions, summary.settled, summary.waiting, summary.late_share) == (
        2,
        1,
        1,
        100,
    )
    assert summary.median_minutes is None


def test_exactly_an_hour_is_not_late():
    found = questions_of(
        said(1, (0, True), (60, False)), family_wrote_last={}, now=at(90), business_time=wall
    )
    assert not found[0].late


def test_the_chart_scales_to_its_highest_bar_and_draws_the_goal():
    chart = weeks_chart(
        [(date(2026, 11, 2), None), (date(2026, 11, 9), 40.0), (date(2026, 11, 16), 2.5)],
        Decimal(5),
    )
    assert [t.value for t in chart.ticks] == [0, 20, 40]
    empty, high, low = chart.bars
    assert (empty.share, empty.height) == (None, 0)
    assert high.y == chart.ticks[-1].y and high.over_goal and not low.over_goal
    assert chart.goal_y == round(chart.baseline - (chart.baseline - high.y) * 5 / 40, 1)
    assert [b.label for b in chart.bars] == ["2 Nov", "9 Nov", "16 Nov"]


def test_figures_read_as_words():
    assert [percent(None), percent(5), percent(12.345), percent(Decimal("60.0"))] == [
        "none",
        "5 %",
        "12.3 %",
        "60 %",
    ]
    assert [minutes(None), minutes(40.4), minutes(83), minutes(600)] == [
        "none",
        "40 min",
        "1 h 23 min",
        "10 h 00 min",
    ]
