from django.urls import path

from notifications import views
from notifications.api import PushSubscriptionApi, UnreadTotalApi

api_urlpatterns = [
    path("sw.js", views.service_worker, name="service_worker"),
    path("notifications/unread/", UnreadTotalApi.as_view(), name="unread_total"),
    path(
        "notifications/push-subscriptions/",
        PushSubscriptionApi.as_view(),
        name="push_subscriptions",
    ),
]

urlpatterns = [
    path("sw.js", views.service_worker, name="service_worker"),
    path("preferences/", views.preferences, name="notification_preferences"),
    path(
        "notifications/unsubscribe/<str:token>/",
        views.unsubscribe,
        name="notifications_unsubscribe",
    ),
]
