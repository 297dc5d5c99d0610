from django.urls import URLPattern, path

from metrics import views

urlpatterns: list[URLPattern] = [
    path("figures/", views.clinics, name="metrics_clinics"),
    path("clinic/<int:clinic_id>/figures/", views.figures, name="metrics_figures"),
]
