"""One-click sign-in links in notification emails: once, for 15 minutes, for their recipient and
chat only, through the same login flow (and second factor) as a password."""

import hashlib
import logging
import re
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from accounts.models import SigninLink
from accounts.signin_links import signin_link_create
from accounts.signin_views import REFUSED
from appointments.services import appointment_hand_over
from chat.services import access_chat
from notifications.emails import build
from notifications.services import unread_email_claim
from tests.factories import TOTP_SECRET, AppointmentFactory, send_message
from tests.signin import signed_in_client
from tests.totp import totp_code

pytestmark = pytest.mark.django_db

API = "/api/appointments/"
LINK = re.compile(r"https?://[^/\s]+(/signin/[^\s\"<)]+)")


def chat_page(appointment) -> str:
    return f"/appointments/{appointment.pk}/"


def link_path(user, appointment, **options) -> str:
    return f"/signin/{signin_link_create(user=user, appointment_id=appointment.pk, **options)}"


def follow(path: str, client: Client | None = None):
    """What someone clicking the email's link and then the page's button gets."""
    client = client or Client()
    page = client.get(path)
    return client, page, client.post(path)


def refused(client: Client, path: str) -> bool:
    """Both the link's page and its button lead to the sign-in page, which says why."""
    return all(shows_refusal(client, send(path)) for send in (client.get, client.post))


def shows_refusal(client: Client, response) -> bool:
    """The link was refused: the answer leads to the sign-in page, which says why (read right
    after the answer: the sentence is shown once)."""
    if response.status_code != HTTPStatus.FOUND or response.url != "/accounts/login/":
        return False
    page = client.get(response.url)
    return page.status_code == HTTPStatus.OK and REFUSED in page.text


def signed_in_as(client: Client):
    user_id = client.session.get("_auth_user_id")
    return str(user_id) if user_id else None


def test_the_unread_email_carries_a_link_that_signs_its_recipient_in_to_the_chat(
    parent, vet, appointment
):
    # given an unread-message email to the parent, built as the worker builds it
    send_message(vet, appointment, "Bella's bloods are back.")
    chat = access_chat(user=parent, appointment_id=appointment.pk)
    email = unread_email_claim(user_id=parent.pk, chat_id=chat.chat_id).email
    message = build(parent, [email])
    text = message.body
    html = message.alternatives[0][0]

    # when the parent follows the link in its text
    [path] = LINK.findall(text)
    assert f'{path}"' in html  # the HTML part's button is the same link
    client = Client()
    page = client.get(path)
    assert page.status_code == HTTPStatus.OK
    assert "Continue to the chat" in page.text
    response = client.post(path)

    # then they land in the chat with a normal session
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == chat_page(appointment)
    assert client.get(response.url).status_code == HTTPStatus.OK
    assert client.get(API).status_code == HTTPStatus.OK
    assert signed_in_as(client) == str(parent.pk)
    # and the plain address is still there for after the link expired
    assert f"/appointments/{appointment.pk}/" in text


def test_a_digest_gets_one_link_per_chat_each_into_its_own_chat(parent, vet):
    first = AppointmentFactory(pet__owner=parent, veterinarian=vet)
    second = AppointmentFactory(pet__owner=parent, veterinarian=vet)
    emails = []
    for appointment in (first, second):
        send_message(vet, appointment, "An update")
        chat = access_chat(user=parent, appointment_id=appointment.pk)
        emails.append(unread_email_claim(user_id=parent.pk, chat_id=chat.chat_id).email)

    paths = LINK.findall(build(parent, emails).body)

    assert len(paths) == 2
    for path, appointment in zip(paths, (first, second), strict=True):
        _, _, response = follow(path)
        assert response.url == chat_page(appointment)


def test_fetching_the_link_spends_nothing_only_the_button_signs_in(parent, appointment):
    path = link_path(parent, appointment)

    # a mail scanner fetches the link, twice
    scanner = Client()
    for _ in range(2):
        page = scanner.get(path)
        assert page.status_code == HTTPStatus.OK
        assert 'method="post"' in page.text and "csrfmiddlewaretoken" in page.text
    assert signed_in_as(scanner) is None
    assert SigninLink.objects.get().used_at is None

    # the parent's click still works
    client, _, response = follow(path)
    assert response.url == chat_page(appointment)
    assert signed_in_as(client) == str(parent.pk)


def test_the_button_is_csrf_protected(parent, appointment):
    path = link_path(parent, appointment)
    client = Client(enforce_csrf_checks=True)
    client.get(path)

    assert client.post(path).status_code == HTTPStatus.FORBIDDEN
    assert signed_in_as(client) is None
    token = client.cookies["csrftoken"].value
    response = client.post(path, {"csrfmiddlewaretoken": token})
    assert response.url == chat_page(appointment)


def test_a_link_signs_in_once(parent, appointment):
    path = link_path(parent, appointment)
    follow(path)

    client = Client()
    assert refused(client, path)
    assert signed_in_as(client) is None


@pytest.mark.parametrize(
    ("age", "works"),
    [(timedelta(minutes=14, seconds=59), True), (timedelta(minutes=15), False)],
)
def test_a_link_works_for_15_minutes_from_when_it_was_made(parent, appointment, age, works):
    path = link_path(parent, appointment, now=timezone.now() - age)

    client = Client()
    if works:
        _, _, response = follow(path, client)
        assert response.url == chat_page(appointment)
    else:
        assert refused(client, path)
    assert (signed_in_as(client) == str(parent.pk)) is works


def test_the_lifetime_is_a_setting(settings, parent, appointment):
    settings.VETCHAT_SIGNIN_LINK_SECONDS = 60
    path = link_path(parent, appointment, now=timezone.now() - timedelta(seconds=61))

    assert refused(Client(), path)


@pytest.mark.parametrize(
    "token",
    [
        "abc",
        "A" * 43,  # the right shape, made by no one
        "A" * 44,
        "%00" * 20,
        "..%2F..%2Fadmin",
        "x" * 5000,
        "é" * 43,
    ],
)
def test_a_malformed_or_unknown_link_shows_the_sign_in_page(token):
    assert refused(Client(), f"/signin/{token}")


def test_following_links_counts_towards_the_sign_in_rate_limit(settings, parent, appointment):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login": "2/m/ip"}
    client = Client()
    for _ in range(2):
        assert shows_refusal(client, client.post("/signin/" + "A" * 43))

    response = client.post(link_path(parent, appointment))

    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert signed_in_as(client) is None
    assert SigninLink.objects.get().used_at is None


def test_a_link_is_refused_once_its_recipient_lost_access(vet, other_vet, appointment):
    path = link_path(vet, appointment)
    appointment_hand_over(
        appointment_id=appointment.pk, by=vet, to_id=other_vet.pk, keep_on_team=False
    )

    client = Client()
    assert refused(client, path)
    assert signed_in_as(client) is None


def test_a_link_of_an_inactive_account_is_refused(parent, appointment):
    path = link_path(parent, appointment)
    parent.is_active = False
    parent.save()

    client = Client()
    assert refused(client, path)
    assert signed_in_as(client) is None


def test_a_link_sent_before_the_address_changed_is_refused(parent, appointment):
    path = link_path(parent, appointment)
    parent.email = "new.address@example.com"
    parent.save()

    assert refused(Client(), path)


def test_a_vet_still_passes_the_second_factor_after_the_link(vet, appointment):
    client, _, response = follow(link_path(vet, appointment))

    # the link alone opens nothing
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == "/accounts/2fa/authenticate/"
    assert client.get(API).status_code == HTTPStatus.UNAUTHORIZED
    assert client.get(chat_page(appointment)).status_code == HTTPStatus.FOUND
    assert client.post(response.url, {"code": "000000"}).status_code == HTTPStatus.OK
    assert client.get(API).status_code == HTTPStatus.UNAUTHORIZED

    # the authenticator's code then leads to the chat
    done = client.post(response.url, {"code": totp_code(TOTP_SECRET)})
    assert done.status_code == HTTPStatus.FOUND and done.url == chat_page(appointment)
    assert client.get(done.url).status_code == HTTPStatus.OK


def test_the_signed_in_owner_goes_straight_to_the_chat_and_the_link_is_spent(parent, appointment):
    path = link_path(parent, appointment)
    client = signed_in_client(parent)

    response = client.get(path)

    assert response.status_code == HTTPStatus.FOUND and response.url == chat_page(appointment)
    assert SigninLink.objects.get().used_at is not None
    assert refused(Client(), path)


def test_someone_elses_link_on_a_signed_in_browser_switches_no_account(
    parent, other_parent, appointment
):
    # given the co-owner's tablet, signed in as them, and the parent's link opened on it
    path = link_path(parent, appointment)
    tablet = signed_in_client(other_parent)

    page, response = tablet.get(path), tablet.post(path)

    # then the tablet stays theirs, and says to sign out first
    for answer in (page, response):
        assert answer.status_code == HTTPStatus.FORBIDDEN
        assert "Sign out" in answer.text and "someone else" in answer.text
    assert signed_in_as(tablet) == str(other_parent.pk)
    # and the link stays unspent for its owner
    signed_out = tablet.post("/accounts/logout/", {"next": path})
    assert signed_out.status_code == HTTPStatus.FOUND and signed_out.url == path
    _, _, mine = follow(path, tablet)
    assert mine.url == chat_page(appointment)
    assert signed_in_as(tablet) == str(parent.pk)


def test_a_link_is_bound_to_its_appointment(parent, vet, appointment):
    other = AppointmentFactory(pet__owner=parent, veterinarian=vet)

    _, _, response = follow(link_path(parent, other))

    assert response.url == chat_page(other)


def test_only_the_tokens_hash_is_stored_and_it_names_nothing(parent, appointment):
    path = link_path(parent, appointment)
    token = path.rsplit("/", 1)[1]

    link = SigninLink.objects.get()
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_signinlink")
        assert token not in str(cursor.fetchall())
    for readable in (str(parent.pk), str(appointment.pk), parent.email, parent.pk.hex):
        assert readable not in token
    assert len(token) == 43


def test_a_sign_in_by_link_is_recorded_with_the_way_used(parent, appointment, caplog):
    caplog.set_level(logging.INFO)
    path = link_path(parent, appointment)

    client, _, _ = follow(path)

    [record] = client.session["account_authentication_methods"]
    assert record["method"] == "signin_link" and record["email"] == parent.email
    assert SigninLink.objects.get().used_at is not None
    assert any(
        r.name == "accounts.signin_views" and getattr(r, "user_id", None) == parent.pk
        for r in caplog.records
    )
    # and the secret the path holds never reaches a log line
    token = path.rsplit("/", 1)[1]
    requests = [r for r in caplog.records if r.name == "vetchat.request"]
    assert requests and all(token not in str(vars(r)) for r in requests)
    assert any(r.path == "/signin/…" for r in requests)
