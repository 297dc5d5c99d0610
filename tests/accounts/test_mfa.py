"""Second factor: required for vets and staff, optional for pet parents, with real TOTP codes."""

import base64
import re
from http import HTTPStatus

import pytest
from allauth.mfa.models import Authenticator
from django.test import Client

from tests.factories import PASSWORD, TOTP_SECRET, PetParentFactory, StaffFactory, VetFactory
from tests.totp import totp_code

pytestmark = pytest.mark.django_db

API = "/api/appointments/"


def password_step(user) -> Client:
    client = Client()
    response = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert response.status_code == HTTPStatus.FOUND, response.content
    return client


def test_the_code_computation_matches_rfc_6238():
    """Appendix B: the ASCII secret 12345678901234567890 at 59 s gives 94287082."""
    secret = base64.b32encode(b"12345678901234567890").decode()
    assert totp_code(secret, at=59, digits=8) == "94287082"


@pytest.mark.parametrize("factory", [VetFactory, StaffFactory])
def test_a_password_alone_does_not_sign_a_clinic_account_in(factory):
    client = password_step(factory())
    assert client.get(API).status_code == HTTPStatus.UNAUTHORIZED
    response = client.post("/accounts/2fa/authenticate/", {"code": "000000"})
    assert response.status_code == HTTPStatus.OK  # the form again, with its error
    assert client.get(API).status_code == HTTPStatus.UNAUTHORIZED


def test_a_vet_signs_in_with_password_and_the_current_code():
    client = password_step(VetFactory())
    response = client.post("/accounts/2fa/authenticate/", {"code": totp_code(TOTP_SECRET)})
    assert response.status_code == HTTPStatus.FOUND
    assert client.get(API).status_code == HTTPStatus.OK
    assert client.get("/dashboard/").status_code == HTTPStatus.OK


def test_a_vet_without_an_authenticator_must_set_one_up_first():
    vet = VetFactory(totp=False)
    client = password_step(vet)
    # every page sends them to enrolment, and the API says why it refuses
    page = client.get("/dashboard/")
    assert page.status_code == HTTPStatus.FOUND and page.url == "/accounts/2fa/totp/activate/"
    api = client.get(API)
    assert api.status_code == HTTPStatus.FORBIDDEN
    assert api.json()["error"]["code"] == "mfa_required"

    # when they confirm their password again (allauth asks before changing a second factor),
    # scan the secret shown and type the current code
    confirm = client.get("/accounts/2fa/totp/activate/")
    assert confirm.status_code == HTTPStatus.FOUND and "/accounts/reauthenticate/" in confirm.url
    client.post(confirm.url, {"password": PASSWORD})
    form = client.get("/accounts/2fa/totp/activate/")
    assert form.status_code == HTTPStatus.OK
    secret = re.search(r'id="authenticator_secret"[^>]*value="([A-Z2-7]+)"', form.text)
    secret = secret or re.search(r'value="([A-Z2-7]{16,})"', form.text)
    activated = client.post("/accounts/2fa/totp/activate/", {"code": totp_code(secret.group(1))})
    # then they are shown recovery codes, and the clinic's pages open
    assert activated.status_code == HTTPStatus.FOUND
    assert activated.url == "/accounts/2fa/recovery-codes/"
    codes = client.get(activated.url)
    assert len(re.findall(r"\b[0-9a-f]{8}\b", codes.text)) >= 10
    assert client.get("/dashboard/").status_code == HTTPStatus.OK
    assert client.get(API).status_code == HTTPStatus.OK
    assert Authenticator.objects.filter(user=vet, type=Authenticator.Type.TOTP).exists()


def test_a_recovery_code_signs_a_vet_in_once():
    vet = VetFactory()
    client = password_step(vet)
    # a fresh sign-in gets its recovery codes from the model allauth stores them in
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    codes = RecoveryCodes.activate(vet).get_unused_codes()
    assert client.post("/accounts/2fa/authenticate/", {"code": codes[0]}).status_code == (
        HTTPStatus.FOUND
    )
    assert client.get(API).status_code == HTTPStatus.OK
    again = password_step(vet)
    again.post("/accounts/2fa/authenticate/", {"code": codes[0]})
    assert again.get(API).status_code == HTTPStatus.UNAUTHORIZED


def test_a_vet_cannot_switch_their_authenticator_off():
    vet = VetFactory()
    client = password_step(vet)
    client.post("/accounts/2fa/authenticate/", {"code": totp_code(TOTP_SECRET)})
    client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    response = client.post("/accounts/2fa/totp/deactivate/", {})
    assert "/accounts/reauthenticate/" not in response.get("Location", "")
    assert Authenticator.objects.filter(user=vet, type=Authenticator.Type.TOTP).exists()


def test_mfa_is_optional_for_pet_parents():
    parent = PetParentFactory()
    client = password_step(parent)
    assert client.get(API).status_code == HTTPStatus.OK
    assert client.get("/appointments/").status_code == HTTPStatus.OK
    client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    assert client.get("/accounts/2fa/totp/activate/").status_code == HTTPStatus.OK


def test_a_pet_parent_may_switch_their_authenticator_off():
    parent = PetParentFactory()
    Authenticator.objects.create(
        user=parent, type=Authenticator.Type.TOTP, data={"secret": TOTP_SECRET}
    )
    client = password_step(parent)
    client.post("/accounts/2fa/authenticate/", {"code": totp_code(TOTP_SECRET)})
    client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    client.post("/accounts/2fa/totp/deactivate/", {})
    assert not Authenticator.objects.filter(user=parent, type=Authenticator.Type.TOTP).exists()
