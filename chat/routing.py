from django.urls import path

from chat.consumers import ChatConsumer, InboxConsumer

websocket_urlpatterns = [
    path("ws/appointment-chat/<uuid:appointment_id>/", ChatConsumer.as_asgi()),
    path("ws/inbox/", InboxConsumer.as_asgi()),
]
