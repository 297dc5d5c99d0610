from django.urls import path

from notifications import views
from notifications.api import UnreadTotalApi

api_urlpatterns = [
    path("notifications/unread/", UnreadTotalApi.as_view(), name="unread_total"),
]

urlpatterns = [
    path("preferences/", views.preferences, name="notification_preferences"),
    path(
        "notifications/unsubscribe/<str:token>/",
        views.unsubscribe,
        name="notifications_unsubscribe",
    ),
]
