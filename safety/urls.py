from django.urls import URLPattern, path

from safety.views import promise_view

urlpatterns: list[URLPattern] = [
    path(
        "safety/chats/<uuid:appointment_id>/promise",
        promise_view,
        name="safety_promise",
    ),
]
