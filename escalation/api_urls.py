from django.urls import path

from . import api

urlpatterns = [
    path("escalations/", api.EscalationListView.as_view(), name="api_escalations"),
    path(
        "escalations/<str:id>/acknowledge/",
        api.EscalationAcknowledgeView.as_view(),
        name="api_escalation_acknowledge",
    ),
    path("escalation-rules/", api.RuleListView.as_view(), name="api_escalation_rules"),
    path("escalation-rules/<str:id>/", api.RuleDetailView.as_view(), name="api_escalation_rule"),
    path(
        "notifications/preferences/",
        api.PreferenceView.as_view(),
        name="api_notification_preferences",
    ),
    path("sla/report/", api.SlaReportView.as_view(), name="api_sla_report"),
]
