"""Mounted at /api/v1/inbound/email/ by helpdesk/urls.py."""

from django.urls import path

from .api import InboundEmailView

urlpatterns = [path("", InboundEmailView.as_view(), name="api-inbound-email")]
