from django.apps import AppConfig


class OncallConfig(AppConfig):
    name = "oncall"
    verbose_name = "On call"

    def ready(self) -> None:
        from appointments.access import grant_standing
        from clinic.signals import chat_marked_urgent
        from oncall.receivers import on_chat_marked_urgent, paged_standing

        # An urgent chat pages the rota once the mark has committed.
        chat_marked_urgent.connect(on_chat_marked_urgent, dispatch_uid="oncall.page_urgent_chat")
        grant_standing(paged_standing)
