from django.urls import path

from chat import views
from chat.api import ChatTestApi, MessagesApi

api_urlpatterns = [
    path("appointment-chat/messages", MessagesApi.as_view(), name="chat_messages"),
    path("appointment-chat/test", ChatTestApi.as_view(), name="chat_test"),
]

urlpatterns = [
    path("appointments/<uuid:appointment_id>/messages/", views.send_message, name="chat_send"),
]
