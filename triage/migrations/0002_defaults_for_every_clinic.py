"""The intake's questions, the pools and the routes every existing clinic starts with; a clinic
made later gets them from `triage.apps` (a `post_save` receiver)."""

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

from triage.defaults import clinic_defaults_create


def forwards(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    for clinic_id in apps.get_model("tenancy", "Clinic").objects.values_list("pk", flat=True):
        clinic_defaults_create(
            clinic_id=clinic_id,
            question_model=apps.get_model("triage", "IntakeQuestion"),
            pool_model=apps.get_model("triage", "Pool"),
            route_model=apps.get_model("triage", "CategoryRoute"),
        )


class Migration(migrations.Migration):
    dependencies = [("triage", "0001_intake_pools_routes")]

    # Backwards, the tables go with 0001; nothing to undo here.
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
