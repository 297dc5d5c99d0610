"""Second factor: required for vets and staff, optional for pet parents, with real TOTP codes."""

import base64
import re
from http import HTTPStatus
from importlib import import_module

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import encrypt
from cryptography.fernet import Fernet
from django.apps import apps as current_apps
from django.db import connection
from django.test import Client

from accounts.totp_secrets import UnreadableSecret, secret_decrypt
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
        user=parent, type=Authenticator.Type.TOTP, data={"secret": encrypt(TOTP_SECRET)}
    )
    client = password_step(parent)
    client.post("/accounts/2fa/authenticate/", {"code": totp_code(TOTP_SECRET)})
    client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    client.post("/accounts/2fa/totp/deactivate/", {})
    assert not Authenticator.objects.filter(user=parent, type=Authenticator.Type.TOTP).exists()


def stored_data(user, kind) -> str:
    """The authenticator's data as the database holds it, read with SQL, not through allauth."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT data::text FROM mfa_authenticator WHERE user_id = %s AND type = %s",
            [user.pk, kind],
        )
        return cursor.fetchone()[0]


def test_a_secret_set_up_in_the_app_is_kept_encrypted_and_still_signs_in():
    # given a vet who sets up an authenticator app through the real pages
    vet = VetFactory(totp=False)
    client = password_step(vet)
    client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    form = client.get("/accounts/2fa/totp/activate/")
    secret = re.search(r'value="([A-Z2-7]{16,})"', form.text).group(1)
    client.post("/accounts/2fa/totp/activate/", {"code": totp_code(secret)})
    # then the database holds neither the secret nor the recovery codes' seed in the clear
    row = stored_data(vet, Authenticator.Type.TOTP)
    assert secret not in row and secret.lower() not in row
    assert '"secret": "fernet:' in row
    seed = stored_data(vet, Authenticator.Type.RECOVERY_CODES)
    assert '"seed": "fernet:' in seed
    # and signing in with a code from the app still works
    again = password_step(vet)
    response = again.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})
    assert response.status_code == HTTPStatus.FOUND
    assert again.get(API).status_code == HTTPStatus.OK


def test_a_secret_under_an_old_key_still_opens_after_a_new_key_is_put_first(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.VETCHAT_TOTP_KEY = old
    vet = VetFactory()  # its secret encrypted under the old key
    settings.VETCHAT_TOTP_KEY = f"{new},{old}"
    client = password_step(vet)
    response = client.post("/accounts/2fa/authenticate/", {"code": totp_code(TOTP_SECRET)})
    assert response.status_code == HTTPStatus.FOUND
    # and without the old key it cannot be read: the key, not the database, holds the secret
    settings.VETCHAT_TOTP_KEY = new
    with pytest.raises(UnreadableSecret):
        secret_decrypt(Authenticator.objects.get(user=vet, type="totp").data["secret"])


def test_the_migration_encrypts_secrets_kept_in_the_clear_and_back():
    migration = import_module("accounts.migrations.0004_encrypt_second_factor_secrets")
    vet = VetFactory(totp=False)
    Authenticator.objects.create(user=vet, type="totp", data={"secret": TOTP_SECRET})
    Authenticator.objects.create(
        user=vet, type="recovery_codes", data={"seed": "ab" * 20, "used_mask": 0}
    )
    # when the migration runs
    migration.encrypt(current_apps, None)
    # then nothing is left in the clear, and a sign-in with the code works
    assert TOTP_SECRET not in stored_data(vet, "totp")
    assert "ab" * 20 not in stored_data(vet, "recovery_codes")
    client = password_step(vet)
    response = client.post("/accounts/2fa/authenticate/", {"code": totp_code(TOTP_SECRET)})
    assert response.status_code == HTTPStatus.FOUND
    # and running it again changes nothing; reversing it restores the plain values
    before = stored_data(vet, "totp")
    migration.encrypt(current_apps, None)
    assert stored_data(vet, "totp") == before
    migration.decrypt(current_apps, None)
    assert Authenticator.objects.get(user=vet, type="totp").data == {"secret": TOTP_SECRET}
