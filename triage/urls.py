from django.urls import path

from triage import views

urlpatterns = [
    path("triage/chats/<uuid:appointment_id>/take", views.take, name="triage_take"),
    path("triage/chats/<uuid:appointment_id>/keep", views.keep, name="triage_keep"),
]
