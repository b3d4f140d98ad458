from django.urls import path

from . import views

urlpatterns = [
    path("manager/dashboard/", views.dashboard_page, name="manager_dashboard"),
    path("manager/dashboard/live/", views.dashboard_live, name="manager_dashboard_live"),
    path(
        "manager/dashboard/export/<slug:table>.csv",
        views.dashboard_export,
        name="manager_dashboard_export",
    ),
    path("agent/escalations/", views.escalation_list, name="escalation_list"),
    path(
        "agent/escalations/<int:escalation_id>/acknowledge/",
        views.escalation_acknowledge,
        name="escalation_acknowledge",
    ),
    path("notifications/", views.notification_list, name="notification_list"),
    path("notifications/bell/", views.notification_bell, name="notification_bell"),
    path(
        "notifications/<int:notification_id>/read/",
        views.notification_read,
        name="notification_read",
    ),
    path(
        "notifications/preferences/",
        views.notification_preferences,
        name="notification_preferences",
    ),
]
