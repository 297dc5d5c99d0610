"""What every clinic starts with: the intake's medical questions, three pools and a route for
each category. Written by the data migration for the clinics that exist and, for a clinic made
later, by `clinic_defaults_create` (a `post_save` receiver, `triage.apps`)."""

from typing import Any

from triage.categories import Category

# (question, answer choices one a line). The choices are worded so that the red-flag matcher
# reads the alarming ones in the intake's text ("Struggling to breathe", "Collapsed").
QUESTIONS: tuple[tuple[str, str], ...] = (
    (
        "How is their breathing?",
        "Normal\nFaster or noisier than usual\nStruggling to breathe",
    ),
    ("Are they eating?", "As usual\nLess than usual\nNot eating at all"),
    ("How is their energy?", "As usual\nQuieter than usual\nVery weak or collapsed"),
    ("How long has this been going on?", "Less than a day\n1 to 3 days\nMore than 3 days"),
)
FRONT_DESK, NURSING, VETS = "Front desk", "Nursing", "Vets"
POOLS = (FRONT_DESK, NURSING, VETS)
ROUTES = {
    Category.MEDICAL: VETS,
    Category.MEDICATION: NURSING,
    Category.APPOINTMENT: FRONT_DESK,
    Category.BILLING: FRONT_DESK,
    Category.OTHER: FRONT_DESK,
}


def clinic_defaults_create(
    *, clinic_id: int, question_model: Any, pool_model: Any, route_model: Any
) -> None:
    """The defaults for one clinic, unless it has its own; the models are passed so that a
    migration hands its historical ones."""
    if not question_model.objects.filter(clinic_id=clinic_id).exists():
        question_model.objects.bulk_create(
            question_model(clinic_id=clinic_id, text=text, choices=choices, position=position)
            for position, (text, choices) in enumerate(QUESTIONS)
        )
    pools = {pool.name: pool for pool in pool_model.objects.filter(clinic_id=clinic_id)}
    for name in POOLS:
        if name not in pools:
            pools[name] = pool_model.objects.create(clinic_id=clinic_id, name=name)
    routed = set(route_model.objects.filter(clinic_id=clinic_id).values_list("category", flat=True))
    route_model.objects.bulk_create(
        route_model(clinic_id=clinic_id, category=str(category), pool=pools[pool])
        for category, pool in ROUTES.items()
        if str(category) not in routed
    )
