"""Canned answers: a vet's own (kept on their page), the clinic's shared ones (admin), filled in
for the appointment and handed only to clinicians' composers."""

import json
import re
from http import HTTPStatus

import pytest

from clinic.models import CannedAnswer
from clinic.selectors import fill_placeholders
from tests.factories import AppointmentFactory, PetParentFactory, first_clinic

pytestmark = pytest.mark.django_db

URL = "/canned-answers/"


def canned_data(response) -> list[dict] | None:
    found = re.search(
        r'<script id="canned-answers" type="application/json">(.*?)</script>',
        response.content.decode(),
        re.S,
    )
    return json.loads(found.group(1)) if found else None


def test_a_vet_adds_edits_and_deletes_their_own(client_for, vet):
    client = client_for(vet)
    assert "You have no canned answers yet" in client.get(URL).content.decode()

    response = client.post(URL, {"title": "Fasting", "body": "Please fast {pet} from 10 pm."})
    assert response.status_code == HTTPStatus.FOUND
    answer = CannedAnswer.objects.get(owner=vet)
    assert (answer.title, answer.body) == ("Fasting", "Please fast {pet} from 10 pm.")
    assert "Please fast {pet} from 10 pm." in client.get(URL).content.decode()

    response = client.post(f"{URL}{answer.pk}/", {"title": "Fasting", "body": "No food after 9."})
    assert response.status_code == HTTPStatus.FOUND
    answer.refresh_from_db()
    assert answer.body == "No food after 9."

    response = client.post(f"{URL}{answer.pk}/delete/")
    assert response.status_code == HTTPStatus.FOUND
    assert not CannedAnswer.objects.exists()


def test_a_refused_answer_keeps_what_was_typed_with_the_error_beside_its_field(client_for, vet):
    response = client_for(vet).post(URL, {"title": "", "body": "Kept <b>text</b>"})
    html = response.content.decode()
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Kept &lt;b&gt;text&lt;/b&gt;</textarea>" in html
    assert 'id="id_title_error"' in html
    assert 'aria-describedby="id_title_helptext id_title_error"' in html
    assert not CannedAnswer.objects.exists()


def test_a_too_long_title_is_refused_not_a_500(client_for, vet):
    response = client_for(vet).post(URL, {"title": "x" * 500, "body": "text"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert not CannedAnswer.objects.exists()


def test_a_vet_never_sees_or_touches_another_vets_answers(client_for, vet, other_vet):
    theirs = CannedAnswer.objects.create(owner=other_vet, title="Secret", body="Their words")
    client = client_for(vet)
    assert "Their words" not in client.get(URL).content.decode()
    assert client.get(f"{URL}{theirs.pk}/").status_code == HTTPStatus.NOT_FOUND
    assert client.post(f"{URL}{theirs.pk}/", {"title": "Mine", "body": "now"}).status_code == (
        HTTPStatus.NOT_FOUND
    )
    assert client.post(f"{URL}{theirs.pk}/delete/").status_code == HTTPStatus.NOT_FOUND
    theirs.refresh_from_db()
    assert theirs.body == "Their words"


def test_shared_answers_are_listed_but_not_editable_on_the_page(client_for, vet):
    shared = CannedAnswer.objects.create(
        clinic=first_clinic(), title="Opening hours", body="We open at 8."
    )
    client = client_for(vet)
    assert "We open at 8." in client.get(URL).content.decode()
    assert client.get(f"{URL}{shared.pk}/").status_code == HTTPStatus.NOT_FOUND
    assert client.post(f"{URL}{shared.pk}/delete/").status_code == HTTPStatus.NOT_FOUND


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", URL), ("post", URL), ("get", f"{URL}1/"), ("post", f"{URL}1/delete/")],
)
def test_a_pet_parent_is_refused(client_for, parent, method, path):
    CannedAnswer.objects.create(pk=1, clinic=first_clinic(), title="Shared", body="x")
    response = getattr(client_for(parent), method)(path, {"title": "a", "body": "b"})
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert CannedAnswer.objects.count() == 1


def test_a_visitor_is_sent_to_sign_in(client_for):
    response = client_for(None).get(URL)
    assert response.status_code == HTTPStatus.FOUND
    assert "/accounts/login/" in response.url


def test_placeholders_are_filled_and_other_braces_left_alone():
    values = {"pet": "Rex", "parent": "Alex", "vet": "Dr. Foster", "clinic_phone": "0123"}
    text = "Hi {parent}, {pet} is ready. {vet}, {clinic_phone}. {unknown} {pet!r} {{pet}}"
    assert fill_placeholders(text, values) == (
        "Hi Alex, Rex is ready. Dr. Foster, 0123. {unknown} {pet!r} {Rex}"
    )


def test_the_vets_composer_gets_their_answers_then_the_clinics_filled_in(
    clinic, client_for, vet, other_vet
):
    parent = PetParentFactory(name="Alex Morgan")
    appointment = AppointmentFactory(pet__owner=parent, pet__name="Rex", veterinarian=vet)
    CannedAnswer.objects.create(owner=vet, title="Results", body="{pet}'s results are normal.")
    CannedAnswer.objects.create(owner=other_vet, title="Not mine", body="x")
    CannedAnswer.objects.create(
        clinic=first_clinic(), title="Call us", body="Hi {parent}, call {clinic_phone}. {vet}"
    )

    data = canned_data(client_for(vet).get(f"/appointments/{appointment.pk}/"))

    assert [(a["title"], a["text"], a["shared"]) for a in data] == [
        ("Results", "Rex's results are normal.", False),
        ("Call us", f"Hi Alex Morgan, call 01632 960 001. {vet.display_name}", True),
    ]


def test_a_pet_parents_page_carries_no_canned_answers(client_for, appointment, parent):
    CannedAnswer.objects.create(clinic=first_clinic(), title="Shared", body="x")
    response = client_for(parent).get(f"/appointments/{appointment.pk}/")
    assert response.status_code == HTTPStatus.OK
    assert canned_data(response) is None


def test_the_canned_answers_page_costs_the_same_queries_for_one_or_many(
    client_for, vet, django_assert_max_num_queries
):
    client = client_for(vet)
    CannedAnswer.objects.create(owner=vet, title="One", body="1")
    with django_assert_max_num_queries(12) as few:
        client.get(URL)
    for n in range(20):
        CannedAnswer.objects.create(owner=vet, title=f"Mine {n}", body="x")
        CannedAnswer.objects.create(clinic=first_clinic(), title=f"Shared {n}", body="y")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(URL)
