from django.urls import path

from chat import openapi  # noqa: F401  (describes the request bodies precisely)
from chat.api import (
    AcknowledgementApi,
    ChatTestApi,
    MarkUnreadApi,
    MessageApi,
    MessagesApi,
    answered_without_drf,
)
from chat.scheduled_api import ScheduledApi, ScheduledListApi, ScheduledSendNowApi
from chat.search_api import SearchApi

api_urlpatterns = [
    path(
        "appointment-chat/messages",
        answered_without_drf(MessagesApi.as_view()),
        name="chat_messages",
    ),
    path("appointment-chat/messages/<uuid:message_id>", MessageApi.as_view(), name="chat_message"),
    path(
        "appointment-chat/messages/<uuid:message_id>/acknowledgement",
        AcknowledgementApi.as_view(),
        name="chat_acknowledgement",
    ),
    path("appointment-chat/search", SearchApi.as_view(), name="chat_search"),
    path("appointment-chat/test", ChatTestApi.as_view(), name="chat_test"),
    path("appointment-chat/unread", MarkUnreadApi.as_view(), name="chat_unread"),
    path(
        "appointments/<uuid:appointment_id>/scheduled/",
        ScheduledListApi.as_view(),
        name="chat_scheduled_list",
    ),
    path(
        "appointments/<uuid:appointment_id>/scheduled/<uuid:scheduled_id>/",
        ScheduledApi.as_view(),
        name="chat_scheduled",
    ),
    path(
        "appointments/<uuid:appointment_id>/scheduled/<uuid:scheduled_id>/send/",
        ScheduledSendNowApi.as_view(),
        name="chat_scheduled_send_now",
    ),
]
