from django.urls import path

from appointments import views

urlpatterns = [
    path("", views.home, name="home"),
    path("appointments/", views.my_appointments, name="my_appointments"),
    path("dashboard/", views.vet_dashboard, name="vet_dashboard"),
    path(
        "appointments/<uuid:appointment_id>/", views.appointment_detail, name="appointment_detail"
    ),
]
