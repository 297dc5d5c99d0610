"""The audit trail: written by one service, never changed or deleted, read-only for staff."""

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.db import IntegrityError, connection, transaction
from django.test import RequestFactory
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import record_access
from tests.factories import AppointmentFactory, StaffFactory

pytestmark = pytest.mark.django_db

CHANGES = (
    "UPDATE audit_auditevent SET action = 'chat.read', ip = NULL",
    "DELETE FROM audit_auditevent",
)


def request_from(user, **headers):
    request = RequestFactory().get("/", **headers)
    request.user = user
    return request


def event(user, appointment, **headers) -> AuditEvent:
    return record_access(
        request=request_from(user, **headers),
        action=AuditEvent.Action.CHAT_READ,
        appointment=appointment,
    )


def test_an_access_is_recorded_with_who_what_which_when_where_and_how(staff, appointment):
    before = timezone.now()
    recorded = record_access(
        request=request_from(
            staff, REMOTE_ADDR="198.51.100.4", HTTP_USER_AGENT="Firefox/" + "9" * 400
        ),
        action="attachment.download",
        appointment=appointment,
        obj_id="attachment-7",
    )
    stored = AuditEvent.objects.get()
    assert stored == recorded
    assert (stored.user, stored.action, stored.appointment, stored.object_id) == (
        staff,
        "attachment.download",
        appointment,
        "attachment-7",
    )
    assert stored.ip == "198.51.100.4"
    assert stored.user_agent.startswith("Firefox/") and len(stored.user_agent) == 300
    assert before <= stored.at <= timezone.now()


def test_an_appointment_may_be_named_by_its_id(staff, appointment):
    record_access(
        request=request_from(staff),
        action=AuditEvent.Action.TRANSCRIPT_EXPORT,
        appointment=appointment.pk,
        obj_id="pdf",
    )
    assert AuditEvent.objects.get().appointment == appointment


def test_behind_a_proxy_the_address_is_the_one_the_proxy_saw(settings, staff, appointment):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    # a client cannot choose its address: only the entry the proxy added counts
    event(
        staff,
        appointment,
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_FOR="10.9.9.9, 203.0.113.9",
    )
    assert AuditEvent.objects.get().ip == "203.0.113.9"


def test_without_trusted_proxies_a_forwarded_address_is_ignored(staff, appointment):
    event(staff, appointment, REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert AuditEvent.objects.get().ip == "192.0.2.1"


def test_an_address_that_cannot_be_told_is_recorded_as_unknown(settings, staff, appointment):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 2
    event(staff, appointment, REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert AuditEvent.objects.get().ip is None


def test_outsiders_only_skips_the_two_participants(staff, appointment, parent, vet):
    for who in (parent, vet, staff):
        record_access(
            request=request_from(who),
            action=AuditEvent.Action.ATTACHMENT_DOWNLOAD,
            appointment=appointment.pk,
            obj_id="a1",
            outsiders_only=True,
        )
    assert list(AuditEvent.objects.values_list("user", flat=True)) == [staff.pk]


def test_an_unknown_action_is_a_programming_error(staff, appointment):
    with pytest.raises(ValueError, match="Unknown audit action"):
        record_access(request=request_from(staff), action="chat.peek", appointment=appointment)
    assert not AuditEvent.objects.exists()


def test_the_database_refuses_to_change_or_delete_an_event_through_the_orm(staff, appointment):
    recorded = event(staff, appointment, REMOTE_ADDR="192.0.2.1")
    recorded.ip = "192.0.2.99"
    with pytest.raises(IntegrityError), transaction.atomic():
        recorded.save()
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEvent.objects.update(object_id="forged")
    with pytest.raises(IntegrityError), transaction.atomic():
        recorded.delete()
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEvent.objects.all().delete()
    stored = AuditEvent.objects.get()
    assert (stored.ip, stored.object_id) == ("192.0.2.1", "")


@pytest.mark.parametrize("sql", CHANGES)
def test_the_database_refuses_to_change_or_delete_an_event_in_sql(staff, appointment, sql):
    event(staff, appointment, REMOTE_ADDR="192.0.2.1")
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)
    assert AuditEvent.objects.get().ip == "192.0.2.1"


# The admin: staff read the trail, filter and search it, and change nothing.

LIST = "/admin/audit/auditevent/"


@pytest.fixture
def trail(staff, appointment):
    """Two staff members' reads of two appointments, one of them last week."""
    other_staff = StaffFactory(name="Robin Auditor", email="robin@example.com")
    other = AppointmentFactory(pet__name="Biscuit")
    event(staff, appointment, REMOTE_ADDR="192.0.2.1")
    event(other_staff, other, REMOTE_ADDR="192.0.2.2")
    old = AuditEvent.objects.create(
        user=other_staff,
        action=AuditEvent.Action.CHAT_READ,
        appointment=appointment,
        ip="192.0.2.3",
        at=timezone.now() - timedelta(days=7),
    )
    return {"other_staff": other_staff, "other": other, "old": old}


def ips(response) -> set[str]:
    return {ip for ip in ("192.0.2.1", "192.0.2.2", "192.0.2.3") if f">{ip}<" in response.text}


def test_staff_read_the_trail_filtered_by_user(client_for, staff, trail):
    response = client_for(staff).get(LIST, {"user__id__exact": trail["other_staff"].pk})
    assert response.status_code == HTTPStatus.OK
    assert ips(response) == {"192.0.2.2", "192.0.2.3"}


def test_staff_filter_the_trail_by_appointment(client_for, staff, appointment, trail):
    response = client_for(staff).get(LIST, {"appointment": str(appointment.pk)})
    assert ips(response) == {"192.0.2.1", "192.0.2.3"}
    # the filter names the appointments that were reached
    assert "Biscuit" in response.text


def test_staff_filter_the_trail_by_action_and_date(client_for, staff, trail):
    client = client_for(staff)
    assert ips(client.get(LIST, {"action__exact": "chat.read"})) == {
        "192.0.2.1",
        "192.0.2.2",
        "192.0.2.3",
    }
    assert ips(client.get(LIST, {"action__exact": "transcript.export"})) == set()
    today = timezone.localdate()
    by_day = client.get(
        LIST, {"at__year": today.year, "at__month": today.month, "at__day": today.day}
    )
    assert ips(by_day) == {"192.0.2.1", "192.0.2.2"}


def test_staff_search_the_trail(client_for, staff, trail):
    assert ips(client_for(staff).get(LIST, {"q": "Biscuit"})) == {"192.0.2.2"}
    assert ips(client_for(staff).get(LIST, {"q": "robin@example.com"})) == {
        "192.0.2.2",
        "192.0.2.3",
    }


def test_a_bad_appointment_filter_filters_nothing_out(client_for, staff, trail):
    response = client_for(staff).get(LIST, {"appointment": "not-a-uuid"})
    assert response.status_code == HTTPStatus.OK


def test_the_trail_cannot_be_added_to_changed_or_deleted_in_the_admin(
    client_for, staff, appointment
):
    recorded = event(staff, appointment, REMOTE_ADDR="192.0.2.1")
    client = client_for(staff)
    page = client.get(f"{LIST}{recorded.pk}/change/")
    assert page.status_code == HTTPStatus.OK
    assert 'name="_save"' not in page.text
    assert client.get(f"{LIST}add/").status_code == HTTPStatus.FORBIDDEN
    client.post(f"{LIST}{recorded.pk}/change/", {"object_id": "forged"})
    delete = client.post(f"{LIST}{recorded.pk}/delete/", {"post": "yes"})
    assert delete.status_code == HTTPStatus.FORBIDDEN
    assert AuditEvent.objects.get().object_id == ""
    assert "delete_selected" not in client.get(LIST).text


def test_the_trail_list_takes_the_same_queries_for_few_and_many_events(
    client_for, staff, appointment, django_assert_max_num_queries
):
    client = client_for(staff)
    event(staff, appointment)
    client.get(LIST)  # the session's periodic write, once
    with django_assert_max_num_queries(12) as captured:
        client.get(LIST)
    few = len(captured.captured_queries)  # read now: the connection's query log is a ring
    for _ in range(30):
        event(StaffFactory(), AppointmentFactory())
    client.get(LIST)  # and again, should it be due
    with django_assert_max_num_queries(few):
        assert client.get(LIST).status_code == HTTPStatus.OK


def test_participants_do_not_reach_the_trail(client_for, parent, vet):
    for who in (parent, vet):
        response = client_for(who).get(LIST)
        assert response.status_code == HTTPStatus.FOUND
        assert "/admin/login/" in response.url
