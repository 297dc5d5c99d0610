from django.apps import AppConfig


class TriageConfig(AppConfig):
    name = "triage"
    verbose_name = "Intake and routing"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from appointments.access import grant_standing
        from chat.events import subscribe
        from chat.models import Message
        from chat.rules import payload_checks
        from tenancy.models import Clinic
        from triage.intake import IntakeFields
        from triage.selectors import pool_member_standing
        from triage.services import on_chat_event_in_transaction
        from triage.signals import clinic_defaults_on_create

        # The intake's payload: its category and the clinic's questions.
        payload_checks[Message.Type.INTAKE] = IntakeFields()
        # The route is made in the send's transaction: later subscribers of the same send
        # (reply times, on-call) read it. A pool member's reply takes the chat once stored.
        subscribe(on_chat_event_in_transaction, in_transaction=True)
        grant_standing(pool_member_standing)
        post_save.connect(
            clinic_defaults_on_create, sender=Clinic, dispatch_uid="triage_clinic_defaults"
        )
