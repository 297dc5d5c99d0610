"""The clinic's staff set the intake's questions, the pools and the routes in the admin, for
their own clinics only."""

from http import HTTPStatus

import pytest
from django.contrib.auth.models import Permission

from tests.factories import ClinicFactory, StaffFactory, TechnicianFactory, first_clinic
from tests.triage.conftest import intake_body, post_json
from triage.models import IntakeQuestion, Pool

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        "/admin/triage/intakequestion/",
        "/admin/triage/intakequestion/add/",
        "/admin/triage/pool/",
        "/admin/triage/pool/add/",
        "/admin/triage/pool/{pool}/change/",
        "/admin/triage/categoryroute/",
        "/admin/triage/chatroute/",
    ],
)
def test_triage_admin_pages_work(client_for, staff, appointment, parent, url):
    post_json(client_for(parent), intake_body(appointment, category="billing"))
    pool = Pool.objects.filter(clinic_id=appointment.clinic_id).first()

    response = client_for(staff).get(url.format(pool=pool.pk))

    assert response.status_code == HTTPStatus.OK


def clinic_staff(*codenames: str):
    member = StaffFactory()
    member.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    return member


def test_staff_see_only_their_clinic_s_questions_and_pools(client_for):
    ClinicFactory(name="Hillside Animal Hospital")
    hillside = IntakeQuestion.objects.exclude(clinic=first_clinic()).first()
    hillside.text = "Hillside's own question"
    hillside.save()
    client = client_for(clinic_staff("view_intakequestion", "view_pool"))

    listed = client.get("/admin/triage/intakequestion/").text

    assert "How is their breathing?" in listed
    assert "Hillside" not in listed
    assert client.get(f"/admin/triage/intakequestion/{hillside.pk}/change/").status_code != (
        HTTPStatus.OK
    )


def test_a_pool_takes_only_people_of_its_clinic(client_for, staff):
    elsewhere = TechnicianFactory(name="Kim Far", clinics=ClinicFactory())
    nurse = TechnicianFactory(name="Sam Lee")
    pool = Pool.objects.get(clinic=first_clinic(), name="Nursing")
    url = f"/admin/triage/pool/{pool.pk}/change/"
    form = {"clinic": pool.clinic_id, "name": "Nursing", "members": [nurse.pk, elsewhere.pk]}

    refused = client_for(staff).post(url, form)
    form["members"] = [nurse.pk]
    saved = client_for(staff).post(url, form)

    assert refused.status_code == HTTPStatus.OK
    assert f"Not working at {pool.clinic.name}: Kim Far." in refused.text
    assert saved.status_code == HTTPStatus.FOUND
    assert list(pool.members.all()) == [nurse]
