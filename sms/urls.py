from django.urls import path

from sms import inbound_views, status_views

urlpatterns = [
    path("sms/twilio/inbound", inbound_views.inbound, name="sms_inbound"),
    path("sms/twilio/status", status_views.status, name="sms_status"),
]
