import binascii
from base64 import urlsafe_b64decode
from http import HTTPStatus

from cryptography.hazmat.primitives.asymmetric import ec
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chat.limits import unread_total_allowed
from notifications.push import endpoint_pattern
from notifications.push_subscriptions import push_subscription_delete, push_subscription_save
from notifications.selectors import unread_total
from vetchat.schema import error_responses


class UnreadTotalApi(APIView):
    @extend_schema(
        operation_id="notifications_unread_total",
        responses={
            200: inline_serializer(
                "UnreadTotal", {"unreadTotal": serializers.IntegerField(min_value=0)}
            ),
            **error_responses(401, 429),
        },
        summary="Messages from others the signed-in user has not read, over all their chats",
    )
    def get(self, request: Request) -> Response:
        unread_total_allowed(user=request.user)
        return Response({"unreadTotal": unread_total(user=request.user)})


class PushKeys(serializers.Serializer):
    # base64url (RFC 8291): an uncompressed P-256 point, 65 bytes starting 0x04, so "B" then one
    # of "A" to "P" then 85 more; and a 16-byte secret, 22 characters. Padding optional.
    p256dh = serializers.RegexField(
        r"^B[A-P][A-Za-z0-9_-]{85}={0,2}$",
        help_text="The browser's P-256 public key, base64url; it must be a point on the curve.",
    )
    auth = serializers.RegexField(r"^[A-Za-z0-9_-]{22}={0,2}$")

    def validate_p256dh(self, value: str) -> str:
        try:
            ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), _unb64(value))
        except ValueError as error:
            raise serializers.ValidationError("Not a P-256 public key.") from error
        return value


def _unb64(value: str) -> bytes:
    try:
        return urlsafe_b64decode(value.rstrip("=") + "=" * (-len(value.rstrip("=")) % 4))
    except (ValueError, binascii.Error):
        return b""


class PushEndpointInput(serializers.Serializer):
    # Forgetting an endpoint never stored is harmless, so any https address will do here.
    endpoint = serializers.RegexField(r"^https://\S+$", max_length=1000)


class PushEndpointField(serializers.CharField):
    """A push service's address; the service decides which are allowed, the schema says so."""

    def __init__(self, **kwargs: object) -> None:
        # Kept as sent: trimmed, an address the schema refuses would be taken.
        super().__init__(max_length=1000, trim_whitespace=False, **kwargs)


class PushEndpointFieldSchema(OpenApiSerializerFieldExtension):
    """States the allowed push services (a setting) as the field's pattern, when the schema is
    made rather than when this module is imported."""

    target_class = PushEndpointField

    def map_serializer_field(self, auto_schema: AutoSchema, direction: str) -> dict:
        return {
            "type": "string",
            "maxLength": 1000,
            "pattern": endpoint_pattern(),
            "description": "The browser's push service address: https on one of the push "
            "services the clinic sends to (FCM, Mozilla, Apple, Windows by default).",
        }


class PushSubscriptionInput(serializers.Serializer):
    endpoint = PushEndpointField()
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
