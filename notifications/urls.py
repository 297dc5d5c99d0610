from django.urls import path

from notifications import views

urlpatterns = [
    path("preferences/", views.preferences, name="notification_preferences"),
    path(
        "notifications/unsubscribe/<str:token>/",
        views.unsubscribe,
        name="notifications_unsubscribe",
    ),
]
