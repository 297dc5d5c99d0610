"""The chat search's API door: parse the query string, search, shape the hits."""

from typing import Any

from django.http import QueryDict
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chat.api import EMPTY_MEANS_DEFAULT
from chat.limits import search_allowed
from chat.models import Message
from chat.openapi import NOT_BLANK
from chat.search import DEFAULT_PAGE, MAX_PAGE, MAX_QUERY_LENGTH, message_search
from chat.shapes import search_hit_json
from vetchat.schema import error_responses


def search_params(query: QueryDict) -> dict[str, Any]:
    """The search's query string; `chat.search` judges the text itself."""
    errors: dict[str, str] = {}
    text = query.get("q", "")
    if len(text) > MAX_QUERY_LENGTH:  # as sent, surrounding spaces too: what the schema says
        errors["q"] = f"Use at most {MAX_QUERY_LENGTH} characters."
    raw_limit = query.get("limit", "")
    limit = DEFAULT_PAGE
    if raw_limit != "":
        if raw_limit.isascii() and raw_limit.isdecimal() and 1 <= int(raw_limit) <= MAX_PAGE:
            limit = int(raw_limit)
        else:
            errors["limit"] = f"Use a whole number from 1 to {MAX_PAGE}."
    if errors:
        raise serializers.ValidationError(errors)
    return {"text": text, "cursor": query.get("cursor") or None, "limit": limit}


class SearchHitClinic(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class SearchHitOutput(serializers.Serializer):
    """Documents a search result; `chat.shapes.search_hit_json` builds it."""

    _id = serializers.UUIDField(help_text="The message found.")
    seq = serializers.IntegerField()
    appointmentId = serializers.UUIDField()
    clinic = SearchHitClinic(
        help_text="The appointment's clinic: a pet parent's chats may be at several."
    )
    petName = serializers.CharField()
    appointmentDate = serializers.CharField(help_text="YYYY-MM-DD in the clinic's time zone.")
    appointmentTime = serializers.CharField(help_text="HH:MM in the clinic's time zone.")
    senderId = serializers.UUIDField()
    senderName = serializers.CharField()
    messageType = serializers.ChoiceField(choices=Message.Type.choices)
    createdAt = serializers.DateTimeField()
    editedAt = serializers.DateTimeField(allow_null=True)
    snippet = serializers.CharField(
        help_text="HTML: the text around the matches, escaped, each match in <mark>…</mark>."
    )
    url = serializers.CharField(
        help_text="The appointment page, opened at this message with the messages around it."
    )


class SearchOutput(serializers.Serializer):
    results = SearchHitOutput(many=True)
    nextCursor = serializers.CharField(
        allow_null=True, help_text="Pass it as `cursor` for older results; null: no more."
    )


class SearchApi(APIView):
    @extend_schema(
        operation_id="chat_search",
        summary="Search the messages of your appointments' chats, newest first",
        description="Full-text search over the chats the signed-in pet parent, veterinarian or "
        "technician takes part in (a vet's or technician's only at the clinics they work at; "
        "each result names its clinic), "
        'in web search syntax: words, "a quoted phrase", -excluded, '
        "or. Words match their English forms (vomiting finds vomited). Removed messages are "
        "never found; edited ones are found by their current text. Clinic staff read chats in "
        "the admin (403 here).",
        parameters=[
            OpenApiParameter(
                "q",
                {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": MAX_QUERY_LENGTH,
                    "pattern": NOT_BLANK,
                },
                required=True,
                description="What to search for.",
            ),
            OpenApiParameter(
                "cursor",
                str,
                description="The `nextCursor` of the previous page.",
                extensions=EMPTY_MEANS_DEFAULT,
            ),
            OpenApiParameter(
                "limit",
                {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": DEFAULT_PAGE},
                extensions=EMPTY_MEANS_DEFAULT,
            ),
        ],
        responses={200: SearchOutput, **error_responses(400, 401, 403, 429)},
    )
    def get(self, request: Request) -> Response:
        params = search_params(request.query_params)
        search_allowed(user=request.user)
        page = message_search(user=request.user, **params)
        return Response(
            {
                "results": [search_hit_json(hit) for hit in page.hits],
                "nextCursor": page.next_cursor,
            }
        )
