from django.contrib.auth.views import LogoutView
from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.HelpdeskLoginView.as_view(), name="login"),
    path("logout/", LogoutView.as_view(), name="logout"),
    path("signup/", views.signup, name="signup"),
    path("tickets/", views.my_tickets, name="my_tickets"),
    path("tickets/new/", views.ticket_new, name="ticket_new"),
    path("tickets/<int:ticket_id>/", views.ticket_detail, name="ticket_detail"),
    path("tickets/<int:ticket_id>/sla/", views.ticket_sla, name="ticket_sla"),
    path(
        "tickets/<int:ticket_id>/not-answered/",
        views.ticket_not_answered,
        name="ticket_not_answered",
    ),
    path(
        "agent/tickets/<int:ticket_id>/check/",
        views.agent_reply_check,
        name="agent_reply_check",
    ),
    path("agent/", views.agent_queue, name="agent_queue"),
    path("agent/tickets/<int:ticket_id>/", views.agent_ticket, name="agent_ticket"),
    path(
        "agent/tickets/<int:ticket_id>/update/",
        views.agent_ticket_update,
        name="agent_ticket_update",
    ),
]
