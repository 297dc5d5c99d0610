"""The figures' page: who may see it, what it shows, and the goal staff set in the admin."""

from decimal import Decimal
from http import HTTPStatus
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

import metrics.views
from metrics.models import ReplyGoal
from tests.factories import (
    AppointmentFactory,
    ClinicFactory,
    PetParentFactory,
    StaffFactory,
    TechnicianFactory,
    VetFactory,
)
from tests.metrics.conftest import LONG_POOL, NOW, local, new_chat, say

pytestmark = pytest.mark.django_db


@pytest.fixture
def at_now(monkeypatch):
    """The page's clock at the prepared week's Wednesday 16:00."""
    monkeypatch.setattr(metrics.views, "timezone", SimpleNamespace(now=lambda: NOW))


def url(clinic) -> str:
    return f"/clinic/{clinic.pk}/figures/"


# Who knocks, where they work (the figures' clinic, another, none), and what they get.
MATRIX = [
    ("veterinarian", "here", HTTPStatus.OK),
    ("technician", "here", HTTPStatus.OK),
    ("staff", "here", HTTPStatus.OK),
    ("superuser", "nowhere", HTTPStatus.OK),
    ("veterinarian", "elsewhere", HTTPStatus.NOT_FOUND),
    ("technician", "elsewhere", HTTPStatus.NOT_FOUND),
    ("staff", "elsewhere", HTTPStatus.NOT_FOUND),
    ("pet_parent", "a client", HTTPStatus.NOT_FOUND),
    ("pet_parent", "nowhere", HTTPStatus.NOT_FOUND),
]
MAKERS = {
    "veterinarian": VetFactory,
    "technician": TechnicianFactory,
    "staff": StaffFactory,
    "superuser": lambda clinics: StaffFactory(clinics=clinics, is_superuser=True),
}


@pytest.mark.parametrize(("role", "where", "status"), MATRIX)
def test_who_sees_the_clinics_figures(client_for, role, where, status):
    # given someone working at the clinic, at another, or a pet parent (a client of it or not)
    clinic = ClinicFactory()
    if role == "pet_parent":
        user = PetParentFactory()
        if where == "a client":
            AppointmentFactory(clinic=clinic, pet__owner=user)
    else:
        clinics = {"here": clinic, "elsewhere": ClinicFactory(), "nowhere": []}[where]
        user = MAKERS[role](clinics=clinics)
    # when they open the figures' page, then they see it or learn nothing of the clinic
    assert client_for(user).get(url(clinic)).status_code == status


def test_an_unknown_or_other_clinic_is_not_found(client_for, week):
    other = ClinicFactory()
    vet = VetFactory(clinics=week.clinic)
    assert client_for(vet).get(url(other)).status_code == HTTPStatus.NOT_FOUND
    assert client_for(vet).get("/clinic/999999/figures/").status_code == HTTPStatus.NOT_FOUND
    parent = week.chats["A"].appointment.pet_parent
    assert client_for(parent).get("/figures/").status_code == HTTPStatus.NOT_FOUND


def test_the_page_only_answers_reads(client_for):
    clinic = ClinicFactory()
    vet = VetFactory(clinics=clinic)
    assert client_for(vet).post(url(clinic)).status_code == HTTPStatus.METHOD_NOT_ALLOWED


def test_signed_out_visitors_are_sent_to_sign_in(client_for, week):
    response = client_for(None).get(url(week.clinic))
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith("/accounts/login/")


def test_the_page_shows_the_weeks_figures(client_for, week, at_now):
    page = client_for(week.one).get(url(week.clinic)).content.decode()

    assert "How Harbor Street is doing" in page
    assert "A question is a family member" in page
    assert "<strong>50 %</strong> of 6 questions" in page
    assert "goal: at most 5 %, over the goal" in page
    assert "<strong>40 min</strong> of opening time, 5 answered" in page
    assert "1 waiting less than an hour so far" in page
    assert LONG_POOL in page and "No pool" in page
    assert "Dr. Two" in page and "1 h 23 min" in page
    assert "2 chats flagged urgent this week" in page and "Not acknowledged" in page
    assert (
        '<div class="metrics-figure" data-figure="new"><dt>New</dt><dd><strong>1</strong>' in page
    )


def test_the_chart_is_an_svg_with_a_title_and_the_same_figures_as_a_table(client_for, week, at_now):
    page = client_for(week.one).get(url(week.clinic)).content.decode()

    svg = page[page.index("<svg") : page.index("</svg>")]
    assert 'role="img" aria-labelledby="weeks-chart-title weeks-chart-desc"' in svg
    assert '<title id="weeks-chart-title">Share of questions answered late' in svg
    assert svg.count('<rect class="chart-bar') == 3  # the weeks with a settled question
    assert svg.count('class="chart-bar chart-bar-over"') == 2  # 100 % and 50 % over 5 %
    assert 'class="chart-goal"' in svg and "goal 5 %" in svg
    assert "style=" not in page
    table = page[page.index('<table class="metrics-table" id="weeks-table">') :]
    table = table[: table.index("</table>")]
    assert table.count("<tr>") == 1 + 8
    assert '<th scope="row">16 Nov 2026</th>' in table and "<td>50 %</td>" in table


def test_a_new_clinic_says_it_has_no_messages_this_week(client_for, at_now):
    clinic = ClinicFactory(time_zone="America/New_York")
    page = client_for(VetFactory(clinics=clinic)).get(url(clinic)).content.decode()
    assert "No messages this week." in page
    assert "No first replies this week." in page
    assert "No chats flagged urgent this week." in page
    assert "<svg" in page


def test_the_goal_set_in_the_admin_is_the_pages(client_for, week, at_now):
    staff = StaffFactory(clinics=week.clinic)
    staff.user_permissions.set(Permission.objects.filter(codename__endswith="_replygoal"))
    response = client_for(staff).post(
        "/admin/metrics/replygoal/add/", {"clinic": week.clinic.pk, "late_share": "60"}
    )
    assert response.status_code == HTTPStatus.FOUND, response.content[:3000]
    assert ReplyGoal.objects.get(clinic=week.clinic).late_share == Decimal("60.0")

    page = client_for(week.one).get(url(week.clinic)).content.decode()
    assert "goal: at most 60 %, within the goal" in page


def test_staff_set_no_goal_for_another_clinic(client_for, week):
    other = ClinicFactory()
    staff = StaffFactory(clinics=other)
    staff.user_permissions.set(Permission.objects.filter(codename__endswith="_replygoal"))
    response = client_for(staff).post(
        "/admin/metrics/replygoal/add/", {"clinic": week.clinic.pk, "late_share": "1"}
    )
    assert response.status_code != HTTPStatus.FOUND
    assert not ReplyGoal.objects.exists()


def test_the_page_takes_the_same_queries_for_few_and_many_messages(client_for, week, at_now):
    client = client_for(week.one)
    client.get(url(week.clinic))
    with CaptureQueriesContext(connection) as few:
        client.get(url(week.clinic))
    for hour in range(9, 16):
        chat = new_chat(week.clinic, week.two)
        say(chat, chat.appointment.pet_parent, local(11, 17, hour))
        say(chat, week.two, local(11, 17, hour, 30))
    with CaptureQueriesContext(connection) as many:
        page = client.get(url(week.clinic)).content.decode()
    assert "<strong>14</strong> asked" in page
    assert len(few) == len(many)
    # the user, the clinic, the figures' seven and the navigation's unread total
    assert len(many) == 10


def test_the_dashboard_links_to_the_figures(client_for, week):
    page = client_for(week.one).get("/dashboard/").content.decode()
    assert '<a href="/figures/">How the clinic is doing</a>' in page
    assert client_for(week.one).get("/figures/")["Location"] == url(week.clinic)


def test_someone_of_several_clinics_finds_each_clinics_figures(client_for, week):
    other = ClinicFactory(name="Hillside")
    vet = VetFactory(clinics=[week.clinic, other])
    assert "How your clinics are doing" in client_for(vet).get("/dashboard/").content.decode()
    page = client_for(vet).get("/figures/").content.decode()
    assert f'href="{url(week.clinic)}">Harbor Street</a>' in page
    assert f'href="{url(other)}">Hillside</a>' in page


def test_a_week_of_questions_still_within_the_hour_has_no_share_yet(client_for, at_now):
    clinic = ClinicFactory(time_zone="America/New_York")
    vet = VetFactory(clinics=clinic)
    chat = new_chat(clinic, vet)
    say(chat, chat.appointment.pet_parent, local(11, 18, 15, 50))

    page = client_for(vet).get(url(clinic)).content.decode()

    assert "<strong>none</strong> yet: no question answered or waiting over an hour" in page
    assert "1 waiting less than an hour so far" in page
