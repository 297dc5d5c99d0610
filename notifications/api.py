import binascii
from base64 import urlsafe_b64decode
from http import HTTPStatus

from cryptography.hazmat.primitives.asymmetric import ec
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from notifications.selectors import unread_total
from notifications.services import push_subscription_delete, push_subscription_save
from vetchat.schema import error_responses


class UnreadTotalApi(APIView):
    @extend_schema(
        operation_id="notifications_unread_total",
        responses={
            200: inline_serializer(
                "UnreadTotal", {"unreadTotal": serializers.IntegerField(min_value=0)}
            ),
            **error_responses(401),
        },
        summary="Messages from others the signed-in user has not read, over all their chats",
    )
    def get(self, request: Request) -> Response:
        return Response({"unreadTotal": unread_total(user=request.user)})


class PushKeys(serializers.Serializer):
    # base64url: an uncompressed P-256 point (65 bytes) and a 16-byte secret (RFC 8291)
    p256dh = serializers.RegexField(r"^[A-Za-z0-9_-]{86,88}={0,2}$")
    auth = serializers.RegexField(r"^[A-Za-z0-9_-]{22,24}={0,2}$")

    def validate_p256dh(self, value: str) -> str:
        try:
            ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), _unb64(value))
        except ValueError as error:
            raise serializers.ValidationError("Not a P-256 public key.") from error
        return value

    def validate_auth(self, value: str) -> str:
        if len(_unb64(value)) != 16:
            raise serializers.ValidationError("The auth secret is 16 bytes.")
        return value


def _unb64(value: str) -> bytes:
    try:
        return urlsafe_b64decode(value.rstrip("=") + "=" * (-len(value.rstrip("=")) % 4))
    except (ValueError, binascii.Error):
        return b""


class PushEndpointInput(serializers.Serializer):
    # Forgetting an endpoint never stored is harmless, so any https address will do here.
    endpoint = serializers.RegexField(r"^https://\S+$", max_length=1000)


class PushSubscriptionInput(serializers.Serializer):
    endpoint = serializers.URLField(max_length=1000)
    keys = PushKeys()


class PushSubscriptionApi(APIView):
    """The browser's `PushSubscription.toJSON()`, as the preferences page sends it."""

    @extend_schema(
        operation_id="notifications_push_subscribe",
        request=PushSubscriptionInput,
        responses={201: None, 200: None, **error_responses(400, 401, 403, 413, 415)},
        summary="Send this browser web push notifications of unread messages",
    )
    def post(self, request: Request) -> Response:
        data = _parse(PushSubscriptionInput, request.data)
        created = push_subscription_save(
            user=request.user,
            endpoint=data["endpoint"],
            p256dh=data["keys"]["p256dh"],
            auth=data["keys"]["auth"],
        )
        return Response(status=HTTPStatus.CREATED if created else HTTPStatus.OK)

    @extend_schema(
        operation_id="notifications_push_unsubscribe",
        parameters=[PushEndpointInput],
        request=None,
        responses={204: None, **error_responses(400, 401, 403)},
        summary="Stop web push notifications to this browser (`?endpoint=`)",
    )
    def delete(self, request: Request) -> Response:
        data = _parse(PushEndpointInput, request.query_params)
        push_subscription_delete(user=request.user, endpoint=data["endpoint"])
        return Response(status=HTTPStatus.NO_CONTENT)


def _parse(serializer_class: type[serializers.Serializer], data: object) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
