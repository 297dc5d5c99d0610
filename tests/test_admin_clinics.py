"""The admin is scoped by clinic: a clinic's staff see, find, choose and change only their
clinics' rows, in every ModelAdmin, inline, filter, autocomplete and search; platform superusers
see every clinic's and filter by clinic."""

from dataclasses import dataclass
from datetime import timedelta
from http import HTTPStatus

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.contrib import admin
from django.contrib.admin.utils import quote
from django.contrib.auth.models import Permission
from django.db.models import Model
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from appointments.models import Appointment, AppointmentMember, Pet
from attachments.models import Attachment, ProfilePhoto
from audit.models import AuditEvent
from calls.models import Call
from chat.models import Chat, Message, ReadState
from clinic.models import AfterHoursReply, CannedAnswer, RedFlagSign, UrgentChat
from metrics.models import ReplyGoal
from notifications.models import UndeliveredEmail
from oncall.models import EmergencyContact, OnCallShift, Page
from safety.models import ReplySettings, SafeWait
from sms.models import Phone, Text
from tenancy.admin import ClinicScoped, ClinicScopedInline, PlatformOnly
from tenancy.models import Clinic, ClinicMembership
from tests.factories import (
    AppointmentFactory,
    ClinicFactory,
    PetFactory,
    PetParentFactory,
    StaffFactory,
    VetFactory,
    send_message,
)
from triage.models import CategoryRoute, ChatRoute, IntakeQuestion, Pool

pytestmark = pytest.mark.django_db

# Registered admins that are the platform's alone.
PLATFORM_ONLY = {"auth.group", "procrastinate.procrastinatejob"}


@dataclass
class Side:
    """One clinic's rows, each named with the clinic's word ("alpha" or "bravo")."""

    clinic: Clinic
    vet: object
    parent: object
    pet: Pet
    appointment: Appointment
    chat: Chat
    message: Message
    rows: dict[str, Model]


def clinic_side(word: str) -> Side:
    clinic = ClinicFactory(name=f"{word.title()} Clinic", slug=f"{word}-clinic")
    vet = VetFactory(clinics=[clinic], name=f"Dr {word.title()}", email=f"{word}-vet@example.com")
    parent = PetParentFactory(name=f"{word.title()} Parent", email=f"{word}-parent@example.com")
    appointment = AppointmentFactory(
        clinic=clinic, veterinarian=vet, pet__owner=parent, pet__name=f"{word.title()}pet"
    )
    message = Message.objects.get(pk=send_message(parent, appointment, f"{word} ate grass").id)
    chat = message.chat
    rows = {
        "accounts.user": parent,
        "account.emailaddress": EmailAddress.objects.get(user=parent),
        "mfa.authenticator": Authenticator.objects.get(user=vet),
        "appointments.pet": appointment.pet,
        "appointments.appointment": appointment,
        "chat.chat": chat,
        "chat.message": message,
        "chat.readstate": ReadState.objects.get_or_create(
            chat=chat, user=parent, defaults={"last_read_seq": message.seq}
        )[0],
        "attachments.attachment": Attachment.objects.create(
            clinic=clinic,
            appointment=appointment,
            uploader=parent,
            kind=Attachment.Kind.DOCUMENT,
            name=f"{word}-scan.pdf",
            content_type="application/pdf",
            size=10,
            storage_key=f"{word}-scan-key",
        ),
        "attachments.profilephoto": ProfilePhoto.objects.create(
            user=parent, storage_key=f"{word}-photo-key"
        ),
        "audit.auditevent": AuditEvent.objects.create(
            clinic=clinic,
            user=vet,
            action=AuditEvent.Action.CHAT_READ,
            appointment=appointment,
            object_id=f"{word}-object",
        ),
        "tenancy.clinic": clinic,
        "calls.call": Call.objects.create(
            clinic=clinic, chat=chat, caller=vet, started_at=timezone.now(), outcome="missed"
        ),
        "clinic.redflagsign": RedFlagSign.objects.create(
            clinic=clinic, name=f"{word.title()} sign", phrases=f"{word}word"
        ),
        "clinic.cannedanswer": CannedAnswer.objects.create(
            clinic=clinic, title=f"{word.title()} hours", body="8-6"
        ),
        "clinic.urgentchat": UrgentChat.objects.create(
            clinic=clinic,
            chat=chat,
            message=message,
            seq=message.seq,
            sign=f"{word} collapse",
            flagged_at=timezone.now(),
        ),
        "clinic.afterhoursreply": AfterHoursReply.objects.create(chat=chat, period_ends=None),
        "metrics.replygoal": ReplyGoal.objects.create(clinic=clinic, late_share=5),
        "safety.replysettings": ReplySettings.objects.create(clinic=clinic),
        "safety.safewait": SafeWait.objects.create(clinic=clinic, category="medical", minutes=240),
        "oncall.oncallshift": OnCallShift.objects.create(
            clinic=clinic,
            clinician=vet,
            starts_at=timezone.now(),
            ends_at=timezone.now() + timedelta(hours=8),
        ),
        "oncall.emergencycontact": EmergencyContact.objects.create(clinic=clinic, clinician=vet),
        "oncall.page": Page.objects.create(
            clinic=clinic,
            chat=chat,
            seq=message.seq,
            round=1,
            level=1,
            person=vet,
            paged_at=timezone.now(),
            due_at=timezone.now() + timedelta(minutes=10),
        ),
        "sms.phone": Phone.objects.create(
            user=parent, number="+1202555010" + ("1" if word == "alpha" else "2")
        ),
        "sms.text": Text.objects.create(
            clinic=clinic, user=parent, appointment=appointment, to="+12025550100", body=word
        ),
        "triage.intakequestion": IntakeQuestion.objects.create(
            clinic=clinic, text=f"{word.title()} question?"
        ),
        "triage.pool": Pool.objects.create(clinic=clinic, name=f"{word.title()} pool"),
        "triage.categoryroute": CategoryRoute.objects.get(clinic=clinic, category="medical"),
        "triage.chatroute": ChatRoute.objects.create(
            chat=chat, clinic=clinic, category="other", intake=message
        ),
        "notifications.undeliveredemail": UndeliveredEmail.objects.create(
            kind="invitation",
            recipient=parent.email,
            user=parent,
            subject=f"{word} subject",
            reason="refused",
            attempts=3,
        ),
    }
    return Side(clinic, vet, parent, appointment.pet, appointment, chat, message, rows)


@dataclass
class World:
    a: Side
    b: Side
    member: object  # staff of clinic A, not a superuser, with every model permission
    superuser: object


@pytest.fixture
def world(db) -> World:
    a, b = clinic_side("alpha"), clinic_side("bravo")
    member = StaffFactory(clinics=[a.clinic], name="Sam Member", email="member@example.com")
    member.user_permissions.set(Permission.objects.all())
    superuser = StaffFactory(is_superuser=True, clinics=[], email="root@example.com")
    return World(a, b, member, superuser)


# Every other registered admin, each with a row of each clinic in `clinic_side`.
SCOPED = [
    "accounts.user",
    "account.emailaddress",
    "mfa.authenticator",
    "appointments.pet",
    "appointments.appointment",
    "chat.chat",
    "chat.message",
    "chat.readstate",
    "attachments.attachment",
    "attachments.profilephoto",
    "audit.auditevent",
    "tenancy.clinic",
    "calls.call",
    "clinic.redflagsign",
    "clinic.cannedanswer",
    "clinic.urgentchat",
    "clinic.afterhoursreply",
    "metrics.replygoal",
    "safety.replysettings",
    "safety.safewait",
    "oncall.oncallshift",
    "oncall.emergencycontact",
    "oncall.page",
    "notifications.undeliveredemail",
    "sms.phone",
    "sms.text",
    "triage.intakequestion",
    "triage.pool",
    "triage.categoryroute",
    "triage.chatroute",
]


def model_admin(label: str) -> admin.ModelAdmin:
    [found] = [a for m, a in admin.site._registry.items() if m._meta.label_lower == label]
    return found


def url(label: str, view: str, obj: Model | None = None) -> str:
    app, model = label.split(".")
    args = [quote(obj.pk)] if obj is not None else []
    return reverse(f"admin:{app}_{model}_{view}", args=args)


def searchable(label: str) -> bool:
    return bool(model_admin(label).get_search_fields(RequestFactory().get("/")))


def test_every_admin_is_scoped_by_clinic_or_the_platforms_alone():
    registered = {model._meta.label_lower: found for model, found in admin.site._registry.items()}
    assert set(registered) == set(SCOPED) | PLATFORM_ONLY
    for label, found in registered.items():
        kind = PlatformOnly if label in PLATFORM_ONLY else ClinicScoped
        assert isinstance(found, kind), label
        if kind is ClinicScoped:
            for inline in found.inlines:
                assert issubclass(inline, ClinicScopedInline), (label, inline)


@pytest.mark.parametrize("label", SCOPED)
def test_staff_list_only_their_clinics_rows(client_for, world, label):
    page = client_for(world.member).get(url(label, "changelist"))
    assert page.status_code == HTTPStatus.OK
    assert url(label, "change", world.a.rows[label]) in page.text
    assert url(label, "change", world.b.rows[label]) not in page.text
    # nothing of clinic B anywhere on the page: not in a row, a filter or a date
    assert "bravo" not in page.text.lower()


@pytest.mark.parametrize("label", SCOPED)
def test_another_clinics_row_answers_as_missing(client_for, world, label):
    client = client_for(world.member)
    for view in ("change", "delete", "history"):
        page = client.get(url(label, view, world.b.rows[label]), follow=True)
        # a record nobody deletes here refuses first; either way the row reads as missing
        refused = view == "delete" and page.status_code == HTTPStatus.FORBIDDEN
        assert refused or "Perhaps it was deleted?" in page.text, (view, page.status_code)
        assert "bravo" not in page.text.lower(), view
    # the admin's own row stays readable
    assert client.get(url(label, "change", world.a.rows[label])).status_code == HTTPStatus.OK


@pytest.mark.parametrize("label", [label for label in SCOPED if searchable(label)])
def test_staff_search_finds_nothing_of_another_clinic(client_for, world, label):
    client = client_for(world.member)
    found = client.get(url(label, "changelist"), {"q": "bravo"})
    assert found.status_code == HTTPStatus.OK
    assert url(label, "change", world.b.rows[label]) not in found.text
    # the same search works, for a superuser and for the staff member's own clinic
    everyone = client_for(world.superuser).get(url(label, "changelist"), {"q": "bravo"})
    assert url(label, "change", world.b.rows[label]) in everyone.text
    own = client.get(url(label, "changelist"), {"q": "alpha"})
    assert url(label, "change", world.a.rows[label]) in own.text


@pytest.mark.parametrize("label", SCOPED)
def test_superusers_see_every_clinic_and_filter_by_clinic(client_for, world, label):
    client = client_for(world.superuser)
    page = client.get(url(label, "changelist"))
    assert url(label, "change", world.a.rows[label]) in page.text
    assert url(label, "change", world.b.rows[label]) in page.text
    path = model_admin(label).clinic_path
    if path is None:
        return
    only_b = client.get(url(label, "changelist"), {f"{path}__id__exact": world.b.clinic.pk})
    assert only_b.status_code == HTTPStatus.OK
    assert url(label, "change", world.b.rows[label]) in only_b.text
    assert url(label, "change", world.a.rows[label]) not in only_b.text


def test_staff_of_several_clinics_filter_by_their_own_clinics_only(client_for, world):
    third = ClinicFactory(name="Charlie Clinic")
    ClinicMembership.objects.create(clinic=third, user=world.member)
    page = client_for(world.member).get(url("appointments.appointment", "changelist"))
    assert f"clinic__id__exact={third.pk}" in page.text
    assert f"clinic__id__exact={world.a.clinic.pk}" in page.text
    assert "Bravo Clinic" not in page.text
    single = client_for(world.a.vet).get("/admin/")  # not staff: no admin at all
    assert single.status_code == HTTPStatus.FOUND


# (source model, its field, the Side attribute the field chooses)
AUTOCOMPLETES = [
    ("appointments", "appointment", "pet", "pet"),
    ("appointments", "appointment", "pet_parent", "parent"),
    ("appointments", "appointment", "veterinarian", "vet"),
    ("appointments", "appointment", "clinic", "clinic"),
    ("appointments", "appointmentmember", "user", "vet"),
    ("appointments", "pet", "owner", "parent"),
    ("tenancy", "clinicmembership", "user", "vet"),
    ("clinic", "urgentchat", "chat", "chat"),
    ("clinic", "urgentchat", "message", "message"),
    ("audit", "auditevent", "appointment", "appointment"),
]


def autocomplete_ids(client, app: str, model: str, field: str, term: str) -> set[str]:
    response = client.get(
        "/admin/autocomplete/",
        {"app_label": app, "model_name": model, "field_name": field, "term": term},
    )
    assert response.status_code == HTTPStatus.OK, response.content[:500]
    return {row["id"] for row in response.json()["results"]}


@pytest.mark.parametrize(("app", "model", "field", "chosen"), AUTOCOMPLETES)
def test_autocomplete_offers_only_the_staffs_clinics_rows(
    client_for, world, app, model, field, chosen
):
    a, b = str(getattr(world.a, chosen).pk), str(getattr(world.b, chosen).pk)
    client = client_for(world.member)
    assert b not in autocomplete_ids(client, app, model, field, "bravo")
    assert b not in autocomplete_ids(client, app, model, field, "")
    assert a in autocomplete_ids(client, app, model, field, "alpha")
    assert b in autocomplete_ids(client_for(world.superuser), app, model, field, "bravo")


def appointment_post(side: Side, **changes: object) -> dict:
    starts = timezone.now() + timedelta(days=3)
    return {
        "clinic": side.clinic.pk,
        "pet_parent": side.parent.pk,
        "pet": side.pet.pk,
        "veterinarian": side.vet.pk,
        "starts_at_0": starts.strftime("%Y-%m-%d"),
        "starts_at_1": starts.strftime("%H:%M:%S"),
        "duration": "00:30:00",
        "status": "scheduled",
        "reason": "Booster",
        "members-TOTAL_FORMS": "0",
        "members-INITIAL_FORMS": "0",
        **changes,
    }


def test_staff_book_at_their_clinic_which_the_form_fills_in(client_for, world):
    client = client_for(world.member)
    form = client.get(url("appointments.appointment", "add")).text
    assert f'<option value="{world.a.clinic.pk}" selected>' in form
    response = client.post(url("appointments.appointment", "add"), appointment_post(world.a))
    assert response.status_code == HTTPStatus.FOUND, response.content.decode()[-2000:]
    assert Appointment.objects.filter(clinic=world.a.clinic, reason="Booster").exists()


@pytest.mark.parametrize("field", ["clinic", "pet", "pet_parent", "veterinarian"])
def test_staff_cannot_book_with_another_clinics_rows(client_for, world, field):
    theirs = {
        "clinic": world.b.clinic,
        "pet": world.b.pet,
        "pet_parent": world.b.parent,
        "veterinarian": world.b.vet,
    }[field]
    response = client_for(world.member).post(
        url("appointments.appointment", "add"),
        appointment_post(world.a, **{field: theirs.pk}),
    )
    assert response.status_code == HTTPStatus.OK
    assert "Select a valid choice" in response.text
    assert not Appointment.objects.filter(reason="Booster").exists()


def test_staff_cannot_give_a_pet_to_another_clinics_client(client_for, world):
    response = client_for(world.member).post(
        url("appointments.pet", "add"),
        {"name": "Newpet", "species": "dog", "owner": world.b.parent.pk,
         "co_ownerships-TOTAL_FORMS": "0", "co_ownerships-INITIAL_FORMS": "0"},
    )  # fmt: skip
    assert response.status_code == HTTPStatus.OK
    assert "Select a valid choice" in response.text
    assert not Pet.objects.filter(name="Newpet").exists()


@pytest.mark.parametrize("clinic", ["bravo", ""])
def test_staff_add_signs_and_answers_only_to_their_clinic(client_for, world, clinic):
    chosen = world.b.clinic.pk if clinic else ""
    client = client_for(world.member)
    sign = client.post(
        url("clinic.redflagsign", "add"),
        {"clinic": chosen, "name": "Sneaky", "phrases": "sneak*", "species": "",
         "enabled": "on", "position": "1"},
    )  # fmt: skip
    answer = client.post(
        url("clinic.cannedanswer", "add"), {"clinic": chosen, "title": "Sneaky", "body": "x"}
    )
    for response in (sign, answer):
        assert response.status_code == HTTPStatus.OK
        assert "errorlist" in response.text
    assert not RedFlagSign.objects.filter(name="Sneaky").exists()
    assert not CannedAnswer.objects.filter(title="Sneaky").exists()


def test_staff_cannot_make_another_clinics_vet_a_member_or_a_team_member(client_for, world):
    client = client_for(world.member)
    clinic = world.a.clinic
    response = client.post(
        url("tenancy.clinic", "change", clinic),
        {
            "name": clinic.name, "slug": clinic.slug, "time_zone": "UTC",
            "after_hours_reply": clinic.after_hours_reply,
            **{f"{prefix}-{key}": "0" for prefix in ("spans", "closures", "emergency_numbers")
               for key in ("TOTAL_FORMS", "INITIAL_FORMS")},
            "memberships-TOTAL_FORMS": "1", "memberships-INITIAL_FORMS": "0",
            "memberships-0-user": world.b.vet.pk,
        },
    )  # fmt: skip
    assert response.status_code == HTTPStatus.OK
    assert "Select a valid choice" in response.text
    assert not ClinicMembership.objects.filter(clinic=clinic, user=world.b.vet).exists()

    appointment = world.a.appointment
    response = client.post(
        url("appointments.appointment", "change", appointment),
        appointment_post(
            world.a,
            starts_at_0=timezone.localtime(appointment.starts_at).strftime("%Y-%m-%d"),
            **{"members-TOTAL_FORMS": "1", "members-0-user": world.b.vet.pk,
               "transcripts-TOTAL_FORMS": "0", "transcripts-INITIAL_FORMS": "0"},
        ),
    )  # fmt: skip
    assert response.status_code == HTTPStatus.OK
    assert "Select a valid choice" in response.text
    assert not AppointmentMember.objects.filter(user=world.b.vet).exists()


def test_new_accounts_are_placeable_and_shared_clients_keep_other_visits_hidden(client_for, world):
    # given a client of both clinics, a pet of theirs seen only at B, and a new client
    shared = PetParentFactory(email="shared-parent@example.com")
    AppointmentFactory(clinic=world.a.clinic, veterinarian=world.a.vet, pet__owner=shared)
    only_at_b = PetFactory(owner=shared, name="Elsewherepet")
    visit_b = AppointmentFactory(clinic=world.b.clinic, veterinarian=world.b.vet, pet=only_at_b)
    newcomer = PetParentFactory(email="newcomer@example.com")
    client = client_for(world.member)
    # then A's staff reach the shared client, their other pet and the newcomer, to book them
    users = client.get(url("accounts.user", "changelist")).text
    assert url("accounts.user", "change", shared) in users
    assert url("accounts.user", "change", newcomer) in users
    pets = client.get(url("appointments.pet", "changelist")).text
    assert url("appointments.pet", "change", only_at_b) in pets
    # but never the visit at B
    visits = client.get(url("appointments.appointment", "changelist")).text
    assert url("appointments.appointment", "change", visit_b) not in visits
    assert "Elsewherepet" not in visits


@pytest.mark.parametrize("label", sorted(PLATFORM_ONLY))
def test_platform_admins_are_for_superusers_only(client_for, world, label):
    assert client_for(world.member).get(url(label, "changelist")).status_code == (
        HTTPStatus.FORBIDDEN
    )
    assert client_for(world.superuser).get(url(label, "changelist")).status_code == HTTPStatus.OK


def test_reading_another_clinics_chat_in_the_admin_is_refused_and_not_recorded(client_for, world):
    client = client_for(world.member)
    conversation = reverse("admin:chat_conversation", args=[world.b.appointment.pk])
    assert client.get(conversation).status_code == HTTPStatus.NOT_FOUND
    client.get(url("chat.message", "change", world.b.message))
    assert not AuditEvent.objects.filter(user=world.member, appointment=world.b.appointment)
    # the own clinic's chat reads, recorded against it
    own = reverse("admin:chat_conversation", args=[world.a.appointment.pk])
    assert client.get(own).status_code == HTTPStatus.OK
    assert AuditEvent.objects.filter(
        user=world.member, appointment=world.a.appointment, clinic=world.a.clinic
    ).exists()


def test_an_admin_search_is_recorded_with_the_searchers_clinic(client_for, world):
    client_for(world.member).get(url("appointments.pet", "changelist"), {"q": "alpha"})
    event = AuditEvent.objects.get(user=world.member, action=AuditEvent.Action.ADMIN_SEARCH)
    assert event.clinic_id == world.a.clinic.pk
