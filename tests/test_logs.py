"""The logs of a whole chat session: JSON lines with request ids, and nothing a person wrote or
is called."""

import io
import json
import logging
import os
import re
import threading
from http import HTTPStatus

import pytest
from django.core import mail
from django.test import Client

from tests.factories import AppointmentFactory, PetParentFactory, StaffFactory, VetFactory
from tests.queued_email import send_queued_emails
from tests.signin import sign_in
from vetchat.logs import JsonFormatter, RequestIdFilter

pytestmark = pytest.mark.django_db

SECRETS = {
    "parent name": "Philippa Quirrell-Oduya",
    "parent email": "philippa.q@example.org",
    "vet name": "Dr. Ottoline Brackwater",
    "vet email": "ottoline.vet@example.org",
    "pet name": "Sir Wigglesworth",
    "new parent": "Ezekiel Marchbanks",
    "new email": "ezekiel.m@example.org",
    "message": "vomited twice after eating chocolate cake",
    "reply": "bring him in within the hour",
    "prescription": "Apomorphinum-XZ",
}


@pytest.fixture
def captured_logs():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)  # production's level (DJANGO_LOG_LEVEL)
    yield stream
    root.removeHandler(handler)
    root.setLevel(old_level)


def test_a_whole_chat_session_logs_ids_and_never_names_emails_or_text(captured_logs):
    parent = PetParentFactory(name=SECRETS["parent name"], email=SECRETS["parent email"])
    vet = VetFactory(name=SECRETS["vet name"], email=SECRETS["vet email"])
    appointment = AppointmentFactory(
        pet__owner=parent, pet__name=SECRETS["pet name"], veterinarian=vet
    )
    api = "/api/appointment-chat/messages"

    # someone signs up, and someone mistypes a password
    Client().post(
        "/accounts/signup/",
        {
            "name": SECRETS["new parent"],
            "email": SECRETS["new email"],
            "password1": "a-long-secret-phrase",
            "password2": "a-long-secret-phrase",
        },
    )
    Client().post("/accounts/login/", {"login": SECRETS["parent email"], "password": "wrong"})
    Client().post("/accounts/password/reset/", {"email": SECRETS["vet email"]})

    # the parent and the vet talk
    parent_client, vet_client = Client(), Client()
    sign_in(parent_client, parent)
    sign_in(vet_client, vet)
    sent = parent_client.post(
        api,
        {"appointmentId": str(appointment.pk), "content": SECRETS["message"]},
        content_type="application/json",
    )
    assert sent.status_code == HTTPStatus.CREATED
    vet_client.get(api, {"appointmentId": str(appointment.pk)})
    vet_client.post(
        api,
        {
            "appointmentId": str(appointment.pk),
            "content": SECRETS["reply"],
            "messageType": "prescription",
            "payload": {"medication": SECRETS["prescription"]},
        },
        content_type="application/json",
    )
    # the parent's refused attempts carry text too
    parent_client.post(
        api,
        {
            "appointmentId": str(appointment.pk),
            "content": SECRETS["message"],
            "messageType": "prescription",
            "payload": {"medication": SECRETS["prescription"]},
        },
        content_type="application/json",
    )
    parent_client.post(
        f"/appointments/{appointment.pk}/messages/", {"content": SECRETS["message"] * 200}
    )
    parent_client.get(f"/appointments/{appointment.pk}/")
    parent_client.get(api, {"appointmentId": str(appointment.pk), "after": "x"})
    # staff search the admin by name and email
    staff_client = Client()
    sign_in(staff_client, StaffFactory(is_superuser=True))
    staff_client.get("/admin/accounts/user/", {"q": SECRETS["parent name"]})
    staff_client.get("/admin/chat/message/", {"q": SECRETS["message"]})
    send_queued_emails()
    assert mail.outbox  # the session really sent mail about these people

    logs = captured_logs.getvalue()
    lines = [json.loads(line) for line in logs.splitlines()]
    requests = [entry for entry in lines if entry["logger"] == "vetchat.request"]
    # the session was logged, one line a request, each with its id ...
    assert len(requests) >= 15
    assert all(re.fullmatch(r"[0-9a-f]{32}", entry["request_id"]) for entry in requests)
    assert len({entry["request_id"] for entry in requests}) == len(requests)
    assert {"POST", "GET"} <= {entry["method"] for entry in requests}
    assert any(entry["status"] == HTTPStatus.FORBIDDEN for entry in requests)
    # ... and not one of the things people wrote or are called
    for what, text in SECRETS.items():
        for fragment in {text, text.split()[0], text.split("@")[0]}:
            if len(fragment) >= 5:
                assert fragment.lower() not in logs.lower(), what


def test_the_request_id_is_answered_and_a_proxys_is_kept(client, captured_logs):
    answered = client.get("/healthz")
    kept = client.get("/healthz", HTTP_X_REQUEST_ID="nginx-4f2a9c1d")
    refused = client.get("/healthz", HTTP_X_REQUEST_ID="<script>")
    assert re.fullmatch(r"[0-9a-f]{32}", answered["X-Request-ID"])
    assert kept["X-Request-ID"] == "nginx-4f2a9c1d"
    assert refused["X-Request-ID"] != "<script>"
    ids = [json.loads(line)["request_id"] for line in captured_logs.getvalue().splitlines()]
    assert ids == [answered["X-Request-ID"], "nginx-4f2a9c1d", refused["X-Request-ID"]]


def test_other_libraries_log_lines_keep_the_process_id():
    # gunicorn's own lines show it ("[%(process)d]"); only the caller's file is not looked up
    logger = logging.getLogger("gunicorn.error")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("[%(process)d] [%(threadName)s] %(message)s"))
    logger.addHandler(handler)
    try:
        logger.warning("Booting worker")
    finally:
        logger.removeHandler(handler)
    assert (
        stream.getvalue() == f"[{os.getpid()}] [{threading.current_thread().name}] Booting worker\n"
    )


def secret_links(parent) -> dict[str, tuple[str, str]]:
    """Each kind of link whose path holds a secret, made as the app makes it: (secret, path)."""
    from allauth.account.forms import default_token_generator
    from allauth.account.models import EmailAddress, EmailConfirmationHMAC
    from allauth.account.utils import user_pk_to_url_str
    from django.urls import reverse

    from appointments.services import co_owner_invite
    from notifications.tokens import unsubscribe_token

    reset_key = default_token_generator.make_token(parent)
    address = EmailAddress.objects.create(user=parent, email="second@example.org", verified=False)
    confirmation = EmailConfirmationHMAC(address).key
    _, invitation = co_owner_invite(
        pet_id=parent.pets.get().pk, by=parent, email="friend@example.org"
    )
    unsubscribe = unsubscribe_token(parent.pk)
    uid = user_pk_to_url_str(parent)
    return {
        "password reset": (
            reset_key,
            reverse("account_reset_password_from_key", kwargs={"uidb36": uid, "key": reset_key}),
        ),
        "email confirmation": (confirmation, reverse("account_confirm_email", args=[confirmation])),
        "co-owner invitation": (invitation, reverse("co_owner_accept", args=[invitation])),
        "unsubscribe": (unsubscribe, reverse("notifications_unsubscribe", args=[unsubscribe])),
    }


def test_links_with_secrets_are_logged_without_them(caplog, captured_logs):
    # given every kind of link that carries a secret, made for a real pet parent
    parent = PetParentFactory()
    AppointmentFactory(pet__owner=parent)
    links = secret_links(parent)
    caplog.set_level(logging.DEBUG)

    # when each is followed, signed out and signed in, with the secret in its query too
    visitor, signed_in = Client(), Client()
    signed_in.force_login(parent)
    for secret, path in links.values():
        for client in (visitor, signed_in):
            client.get(path)
            client.get(path, {"token": secret, "key": secret, "next": path})
        visitor.post(path)  # the one-click unsubscribe, and the forms behind the others

    # then no record holds any secret, in its message or in any field
    requests = [r for r in caplog.records if r.name == "vetchat.request"]
    assert len(requests) >= 5 * len(links)
    for what, (secret, path) in links.items():
        assert any(r.path == path.rsplit("/", 2)[0] + "/…/" for r in requests), what
        for record in caplog.records:
            assert secret not in record.getMessage(), (what, record.getMessage())
            for name, value in vars(record).items():
                if name not in {"args", "request"}:  # args make the message above
                    assert secret not in str(value), (what, name)
        assert secret not in captured_logs.getvalue(), what
    assert "GET /co-owners/accept/…/ 200" in {r.getMessage() for r in requests}
