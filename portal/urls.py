from django.urls import path

from portal import scheduled, views
from portal.api import AppointmentListApi

api_urlpatterns = [
    path("appointments/", AppointmentListApi.as_view(), name="appointment_list"),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("appointments/", views.my_appointments, name="my_appointments"),
    path("dashboard/", views.vet_dashboard, name="vet_dashboard"),
    path("search/", views.search, name="search"),
    path("profile/", views.profile, name="profile"),
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
    path(
        "appointments/<uuid:appointment_id>/messages/<uuid:message_id>/unread/",
        views.mark_unread,
        name="chat_mark_unread",
    ),
    path(
        "appointments/<uuid:appointment_id>/scheduled/",
        scheduled.schedule_message,
        name="chat_schedule",
    ),
    path(
        "appointments/<uuid:appointment_id>/scheduled/<uuid:scheduled_id>/edit/",
        scheduled.scheduled_edit,
        name="chat_scheduled_edit",
    ),
    path(
        "appointments/<uuid:appointment_id>/scheduled/<uuid:scheduled_id>/cancel/",
        scheduled.scheduled_cancel_view,
        name="chat_scheduled_cancel",
    ),
    path(
        "appointments/<uuid:appointment_id>/scheduled/<uuid:scheduled_id>/send/",
        scheduled.scheduled_send_now_view,
        name="chat_scheduled_send_now",
    ),
    path("appointments/<uuid:appointment_id>/team/", views.team_add, name="team_add"),
    path(
        "appointments/<uuid:appointment_id>/team/<uuid:user_id>/remove/",
        views.team_remove,
        name="team_remove",
    ),
    path("appointments/<uuid:appointment_id>/hand-over/", views.hand_over, name="hand_over"),
    path("pets/<int:pet_id>/co-owners/", views.co_owner_invite_view, name="co_owner_invite"),
    path(
        "co-owners/<int:ownership_id>/revoke/",
        views.co_owner_revoke_view,
        name="co_owner_revoke",
    ),
    path("co-owners/accept/<str:token>/", views.co_owner_accept_view, name="co_owner_accept"),
]
