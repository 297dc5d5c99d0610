from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from appointments.models import Appointment
from appointments.selectors import appointment_list
from chat.limits import poll_allowed
from chat.selectors import unread_counts
from vetchat.schema import error_responses


class AppointmentListApi(APIView):
    class OutputSerializer(serializers.Serializer):
        id = serializers.UUIDField()
        petName = serializers.CharField()
        petParentName = serializers.CharField()
        veterinarianName = serializers.CharField()
        appointmentDate = serializers.CharField(help_text="YYYY-MM-DD in the clinic's time zone")
        appointmentTime = serializers.CharField(help_text="HH:MM in the clinic's time zone")
        status = serializers.ChoiceField(choices=Appointment.Status.choices)
        unreadCount = serializers.IntegerField()
        clinic = inline_serializer(
            "AppointmentClinic",
            {
                "id": serializers.IntegerField(),
                "name": serializers.CharField(),
                "timeZone": serializers.CharField(help_text="The IANA zone of its dates and times"),
            },
        )

    @extend_schema(
        operation_id="appointments_list",
        responses={
            200: inline_serializer(
                "AppointmentList", {"appointments": OutputSerializer(many=True)}
            ),
            **error_responses(401),
        },
        summary="The signed-in user's appointments",
    )
    def get(self, request: Request) -> Response:
        poll_allowed(request=request)
        appointments = list(appointment_list(user=request.user))
        unread = unread_counts(user=request.user, appointment_ids=[a.pk for a in appointments])
        return Response(
            {"appointments": [appointment_row(a, unread.get(a.pk, 0)) for a in appointments]}
        )


def appointment_row(appointment: Appointment, unread_count: int) -> dict:
    """A row of the list; its date and time are on its own clinic's clock."""
    clinic = appointment.clinic
    local = timezone.localtime(appointment.starts_at, clinic.zone)
    return {
        "id": str(appointment.pk),
        "petName": appointment.pet.name,
        "petParentName": appointment.pet_parent.display_name,
        "veterinarianName": appointment.veterinarian.display_name,
        "appointmentDate": local.strftime("%Y-%m-%d"),
        "appointmentTime": local.strftime("%H:%M"),
        "status": appointment.status,
        "unreadCount": unread_count,
        "clinic": {"id": clinic.pk, "name": clinic.name, "timeZone": clinic.time_zone},
    }
