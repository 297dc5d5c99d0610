from django.urls import path

from chat.api import ChatTestApi, MessagesApi

api_urlpatterns = [
    path("appointment-chat/messages", MessagesApi.as_view(), name="chat_messages"),
    path("appointment-chat/test", ChatTestApi.as_view(), name="chat_test"),
]
