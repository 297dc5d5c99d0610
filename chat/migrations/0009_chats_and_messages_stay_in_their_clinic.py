"""A chat is in its appointment's clinic and a message in its chat's, held by PostgreSQL: each
row's (parent, clinic) pair must name its parent row in the same clinic. These composite keys are
also what a database distributed by clinic needs (docs/architecture.md)."""

from django.db import migrations, models

SAME_CLINIC = """
ALTER TABLE chat_chat ADD CONSTRAINT chat_appointment_same_clinic
    FOREIGN KEY (appointment_id, clinic_id)
    REFERENCES appointments_appointment (id, clinic_id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE chat_message ADD CONSTRAINT chat_message_same_clinic
    FOREIGN KEY (chat_id, clinic_id)
    REFERENCES chat_chat (id, clinic_id) DEFERRABLE INITIALLY DEFERRED;
"""
NOT_SAME_CLINIC = """
ALTER TABLE chat_message DROP CONSTRAINT chat_message_same_clinic;
ALTER TABLE chat_chat DROP CONSTRAINT chat_appointment_same_clinic;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("appointments", "0004_appointment_in_its_clinic"),
        ("chat", "0008_chat_and_message_clinic"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="chat",
            constraint=models.UniqueConstraint(fields=("id", "clinic"), name="chat_in_its_clinic"),
        ),
        migrations.RunSQL(SAME_CLINIC, NOT_SAME_CLINIC),
    ]
