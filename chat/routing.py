from django.urls import path

from chat.consumers import ChatConsumer

websocket_urlpatterns = [
    path("ws/appointment-chat/<uuid:appointment_id>/", ChatConsumer.as_asgi()),
]
