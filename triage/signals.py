"""A clinic made after the migrations starts with the intake's questions, pools and routes."""

from typing import Any

from tenancy.models import Clinic
from triage.defaults import clinic_defaults_create
from triage.models import CategoryRoute, IntakeQuestion, Pool


def clinic_defaults_on_create(
    sender: type[Clinic], instance: Clinic, created: bool, raw: bool = False, **_: Any
) -> None:
    if created and not raw:  # not while loading fixtures
        clinic_defaults_create(
            clinic_id=instance.pk,
            question_model=IntakeQuestion,
            pool_model=Pool,
            route_model=CategoryRoute,
        )
