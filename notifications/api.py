from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from notifications.selectors import unread_total


class UnreadTotalApi(APIView):
    @extend_schema(
        operation_id="notifications_unread_total",
        responses={
            200: inline_serializer(
                "UnreadTotal", {"unreadTotal": serializers.IntegerField(min_value=0)}
            )
        },
        summary="Messages from others the signed-in user has not read, over all their chats",
    )
    def get(self, request: Request) -> Response:
        return Response({"unreadTotal": unread_total(user=request.user)})
