"""What the OpenAPI schema says about the whole API: its authentication and its errors."""

from typing import Any

from drf_spectacular.authentication import SessionScheme
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers

from vetchat.http import MAX_API_BODY


class VetchatSessionScheme(SessionScheme):
    """Describes the API's session authentication in the OpenAPI schema."""

    target_class = "vetchat.authentication.SessionAuthentication"


ErrorOutput = inline_serializer(
    "Error",
    {
        "error": inline_serializer(
            "ErrorDetail",
            {
                "code": serializers.CharField(help_text="Stable, for programs: e.g. `invalid`."),
                "message": serializers.CharField(help_text="For people."),
                "fields": serializers.DictField(
                    child=serializers.CharField(),
                    required=False,
                    help_text="What is wrong with each field that is, by field name.",
                ),
            },
        )
    },
)

ERRORS = {
    400: "The input breaks a rule; `fields` names each field that does.",
    401: "Not signed in.",
    403: "Signed in, but not allowed to do this (or the CSRF token is missing).",
    404: "No such appointment, or one this user may not see.",
    409: "The chat is read-only (the appointment was cancelled, or its follow-up window "
    "closed), or the message can no longer be changed.",
    413: f"The request body is over {MAX_API_BODY // 1024 // 1024} MB.",
    415: "The request body is not JSON (`Content-Type: application/json`).",
    429: "Too many requests; `Retry-After` says how many seconds to wait.",
}


def error_responses(*statuses: int, **descriptions: str) -> dict[int, OpenApiResponse]:
    """The documented error answers of an operation, all in the one error shape; an operation
    may say what a status means for it (`s413="..."`)."""
    return {
        status: OpenApiResponse(
            response=ErrorOutput, description=descriptions.get(f"s{status}", ERRORS.get(status))
        )
        for status in statuses
    }


def allow_empty_values(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Turns a parameter's `x-allow-empty-value` into OpenAPI's `allowEmptyValue`, which
    drf-spectacular has no argument for: such a query parameter reads `?limit=` as absent."""
    for path in result.get("paths", {}).values():
        for operation in path.values():
            for parameter in operation.get("parameters", []):
                if parameter.pop("x-allow-empty-value", False):
                    parameter["allowEmptyValue"] = True
    return result
