"""The clinic as tenant, beneath every door: who works where, what PostgreSQL holds, each
clinic's own settings."""

from http import HTTPStatus

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts.backends import EmailBackend
from chat.models import Message
from chat.services import chat_get_or_create
from clinic.models import RedFlagSign
from clinic.selectors import clinic_snapshot
from tenancy.models import ClinicMembership
from tests.factories import (
    AppointmentFactory,
    ClinicFactory,
    PetParentFactory,
    VetFactory,
    first_clinic,
    send_message,
)

pytestmark = pytest.mark.django_db


def test_the_clinics_one_works_at_come_with_the_user_in_one_query():
    first, other = first_clinic(), ClinicFactory()
    vet = VetFactory(clinics=[first, other])
    EmailBackend().get_user(vet.pk)  # the statement is prepared on a connection's first use
    with CaptureQueriesContext(connection) as captured:
        loaded = EmailBackend().get_user(vet.pk)
        assert loaded.clinic_ids == {first.pk, other.pk}
        assert loaded.works_at(other.pk)
    assert len(captured) == 1
    assert EmailBackend().get_user(PetParentFactory().pk).clinic_ids == frozenset()


def test_a_vet_who_leaves_a_clinic_stops_reaching_its_chats(client_for):
    other = ClinicFactory()
    vet = VetFactory(clinics=[first_clinic(), other])
    appointment = AppointmentFactory(clinic=other, veterinarian=vet)
    client = client_for(vet)
    assert client.get(f"/appointments/{appointment.pk}/").status_code == HTTPStatus.OK
    ClinicMembership.objects.filter(user=vet, clinic=other).delete()
    assert client.get(f"/appointments/{appointment.pk}/").status_code == HTTPStatus.NOT_FOUND


def test_a_message_cannot_be_stored_in_another_clinic_than_its_chat(appointment, parent):
    chat = chat_get_or_create(appointment_id=appointment.pk)
    assert chat.clinic_id == appointment.clinic_id
    stray = Message(chat=chat, clinic=ClinicFactory(), seq=1, sender=parent, content="x")
    with pytest.raises(IntegrityError), transaction.atomic():
        stray.save()
        connection.check_constraints()  # the keys are checked at commit; ask now


def test_messages_carry_their_chats_clinic(appointment, parent):
    other = ClinicFactory()
    elsewhere = AppointmentFactory(clinic=other, pet__owner=parent)
    send_message(parent, appointment, "here")
    send_message(parent, elsewhere, "there")
    rows = Message.objects.values_list("content", "clinic_id")
    assert set(rows) == {("here", appointment.clinic_id), ("there", other.pk)}


def test_each_clinic_has_its_own_signs_and_the_shared_list_until_it_does():
    shared = RedFlagSign.objects.create(name="Shared sign", phrases="shared phrase")
    mine, theirs = ClinicFactory(), ClinicFactory()
    RedFlagSign.objects.create(clinic=mine, name="Mine", phrases="only here")
    assert [m.sign.name for m in clinic_snapshot(mine.pk).matcher.find("only here")] == ["Mine"]
    assert clinic_snapshot(mine.pk).matcher.find("shared phrase") == []
    assert clinic_snapshot(theirs.pk).matcher.find("only here") == []
    [match] = clinic_snapshot(theirs.pk).matcher.find("a shared phrase")
    assert match.sign.name == shared.name


def test_a_clinic_opened_in_the_admin_starts_with_a_copy_of_the_shared_signs(client_for, staff):
    RedFlagSign.objects.create(name="Shared sign", phrases="shared phrase", position=3)
    response = client_for(staff).post(
        "/admin/tenancy/clinic/add/",
        {"name": "Hillside", "slug": "hillside", "time_zone": "America/New_York",
         "after_hours_reply": "Closed.", **empty_inlines()},
    )  # fmt: skip
    assert response.status_code == HTTPStatus.FOUND, response.content.decode()[:2000]
    copied = RedFlagSign.objects.filter(clinic__slug="hillside")
    shared = RedFlagSign.objects.filter(clinic__isnull=True)
    assert sorted(copied.values_list("name", "phrases", "position")) == sorted(
        shared.values_list("name", "phrases", "position")
    )


def test_an_unknown_time_zone_is_refused_with_a_sentence(client_for, staff):
    response = client_for(staff).post(
        "/admin/tenancy/clinic/add/",
        {"name": "Nowhere", "slug": "nowhere", "time_zone": "Mars/Olympus",
         "after_hours_reply": "Closed.", **empty_inlines()},
    )  # fmt: skip
    assert response.status_code == HTTPStatus.OK
    assert "Choose an IANA time zone" in response.content.decode()


def empty_inlines() -> dict[str, str]:
    prefixes = ("spans", "closures", "emergency_numbers", "reply_hold", "memberships")
    return {
        f"{prefix}-{field}": "0"
        for prefix in prefixes
        for field in ("TOTAL_FORMS", "INITIAL_FORMS")
    }
