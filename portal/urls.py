from django.urls import path

from portal import views
from portal.api import AppointmentListApi

api_urlpatterns = [
    path("appointments/", AppointmentListApi.as_view(), name="appointment_list"),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("appointments/", views.my_appointments, name="my_appointments"),
    path("dashboard/", views.vet_dashboard, name="vet_dashboard"),
    path("search/", views.search, name="search"),
    path("canned-answers/", views.canned_answers, name="canned_answers"),
    path("canned-answers/<int:answer_id>/", views.canned_answer_edit, name="canned_answer_edit"),
    path(
        "canned-answers/<int:answer_id>/delete/",
        views.canned_answer_delete_view,
        name="canned_answer_delete",
    ),
    path(
        "appointments/<uuid:appointment_id>/", views.appointment_detail, name="appointment_detail"
    ),
    path("appointments/<uuid:appointment_id>/messages/", views.send_message, name="chat_send"),
    path(
        "appointments/<uuid:appointment_id>/messages/<uuid:message_id>/acknowledgement/",
        views.acknowledge_prescription,
        name="chat_acknowledge",
    ),
]
