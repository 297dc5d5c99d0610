from django.urls import path

from transcripts import views

urlpatterns = [
    path(
        "appointments/<uuid:appointment_id>/transcript.pdf",
        views.transcript_pdf_view,
        name="transcript_pdf",
    ),
    path(
        "appointments/<uuid:appointment_id>/transcript.json",
        views.transcript_json_view,
        name="transcript_json",
    ),
    path(
        "appointments/<uuid:appointment_id>/transcripts/<uuid:transcript_id>.pdf",
        views.stored_transcript_view,
        name="transcript_stored",
    ),
]
