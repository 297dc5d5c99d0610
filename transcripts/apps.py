from django.apps import AppConfig


class TranscriptsConfig(AppConfig):
    name = "transcripts"
    verbose_name = "Transcripts"

    def ready(self) -> None:
        from django.core.signals import setting_changed

        from transcripts.models import reset_transcript_storage

        setting_changed.connect(reset_transcript_storage, dispatch_uid="transcripts.storage")
