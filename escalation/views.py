"""Pages: the managers' dashboard (with CSV export), escalations to acknowledge, and the
notifications page with the bell and e-mail preferences."""

import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_POST

from helpdesk.models import Notification
from helpdesk.notifications import notification_mark_read
from sla.models import Metric
from tickets.views import agent_required, manager_required

from . import dashboard, notifications, report, services
from .models import Escalation, NotificationPreference, Trigger

PERIODS = {"7": 7, "30": 30, "90": 90}
ESCALATIONS_PAGE_SIZE = 50
NOTIFICATIONS_PAGE_SIZE = 50


def _period(request: HttpRequest):
    days = PERIODS.get(request.GET.get("days", "30"), 30)
    metric = request.GET.get("metric", Metric.FIRST_RESPONSE)
    if metric not in report.METRICS:
        metric = Metric.FIRST_RESPONSE
    now = timezone.now()
    since, until = report.dashboard_period(now=now, days=days)
    return since, until, now, days, metric


def _partial(request: HttpRequest, template: str, context: dict) -> HttpResponse:
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@manager_required
def dashboard_page(request: HttpRequest) -> HttpResponse:
    since, until, now, days, metric = _period(request)
    tables = dashboard.dashboard_tables(since=since, until=until, metric=metric)
    moderation = dashboard.moderation_tables(since=since, until=until, now=now)
    context = {
        "days": days,
        "periods": PERIODS,
        "metric": metric,
        "metric_choices": Metric.choices,
        "since": since,
        "until": until,
        "tables": tables,
        "moderation": moderation,
        "charts": dashboard.charts(tables),
        "backlog_chart": dashboard.backlog_chart(moderation["moderation_backlog"]),
        "report_chart": dashboard.report_chart(moderation["report_decisions"]),
        "neutrality": dashboard.neutrality_table(since=since, until=until),
        **_live_context(now),
    }
    return render(request, "escalation/dashboard.html", context)


def _live_context(now):
    live = report.live_items(now=now)
    return {
        "now": now,
        "breached": live["breached"],
        "at_risk": live["at_risk"],
        "open_escalations": Escalation.objects.filter(acknowledged_at__isnull=True).count(),
        "metric_labels": report.METRIC_LABELS,
    }


@manager_required
def dashboard_live(request: HttpRequest) -> HttpResponse:
    return _partial(request, "escalation/dashboard.html#live", _live_context(timezone.now()))


@manager_required
def dashboard_export(request: HttpRequest, table: str) -> HttpResponse:
    since, until, now, _days, metric = _period(request)
    tables = {
        **dashboard.dashboard_tables(since=since, until=until, metric=metric),
        **dashboard.moderation_tables(since=since, until=until, now=now),
    }
    neutrality = dashboard.neutrality_table(since=since, until=until)
    if neutrality is not None:
        tables["neutrality"] = neutrality
    if table == "live":
        live = report.live_items(now=now)
        rows = [
            [
                state,
                c.ticket_id,
                c.ticket.subject,
                c.metric,
                c.due_at.isoformat(),
                c.ticket.assignee.username if c.ticket.assignee_id else "",
            ]
            for state in ("breached", "at_risk")
            for c in live[state]
        ]
        selected = dashboard.Table(
            "live", "", ["State", "Ticket", "Subject", "Metric", "Due at", "Assignee"], rows
        )
    elif table in tables and not table.startswith("_"):
        selected = tables[table]
    else:
        raise Http404("No such table.")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="{table}-{since:%Y%m%d}-{until:%Y%m%d}.csv"'
    )
    writer = csv.writer(response)
    writer.writerow(selected.headers)
    for row in selected.rows:
        writer.writerow(["" if cell is None else cell for cell in row])
    return response


@agent_required
def escalation_list(request: HttpRequest) -> HttpResponse:
    show = request.GET.get("show", "open")
    queryset = Escalation.objects.select_related("ticket", "acknowledged_by").order_by(
        "-created_at", "-id"
    )
    if show == "open":
        queryset = queryset.filter(acknowledged_at__isnull=True)
    page = Paginator(queryset, ESCALATIONS_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "show": show,
        "trigger_labels": dict(Trigger.choices),
        "metric_labels": report.METRIC_LABELS,
    }
    return render(request, "escalation/escalations.html", context)


@require_POST
@agent_required
def escalation_acknowledge(request: HttpRequest, escalation_id: int) -> HttpResponse:
    escalation = get_object_or_404(Escalation.objects.select_related("ticket"), pk=escalation_id)
    escalation = services.escalation_acknowledge(
        escalation=escalation, user=request.user, now=timezone.now()
    )
    if request.htmx:
        return _partial(
            request,
            "escalation/escalations.html#row",
            {
                "escalation": escalation,
                "trigger_labels": dict(Trigger.choices),
                "metric_labels": report.METRIC_LABELS,
            },
        )
    messages.success(request, "Escalation acknowledged.")
    return redirect(request.POST.get("next") or "escalation_list")


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    queryset = Notification.objects.filter(user=request.user).order_by("-created_at", "-id")
    page = Paginator(queryset, NOTIFICATIONS_PAGE_SIZE).get_page(request.GET.get("page"))
    email, triggers = notifications.preference_for(request.user)
    context = {
        "page": page,
        "email": email,
        "email_triggers": triggers,
        "email_choices": NotificationPreference.Email.choices,
        "trigger_choices": Trigger.choices,
    }
    return render(request, "escalation/notifications.html", context)


@login_required
def notification_bell(request: HttpRequest) -> HttpResponse:
    unread = Notification.objects.filter(user=request.user, read_at__isnull=True).count()
    return _partial(request, "escalation/_bell.html", {"unread": unread})


@require_POST
@login_required
def notification_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    now = timezone.now()
    if notification_id == 0:
        Notification.objects.filter(user=request.user, read_at__isnull=True).update(read_at=now)
        return redirect("notification_list")
    try:
        notification = notification_mark_read(
            user=request.user, notification_id=notification_id, now=now
        )
    except Notification.DoesNotExist:
        raise Http404("No such notification.") from None
    return redirect(notification.url or "notification_list")


@require_POST
@login_required
def notification_preferences(request: HttpRequest) -> HttpResponse:
    email = request.POST.get("email", "")
    valid_triggers = {value for value, _ in Trigger.choices}
    triggers = [t for t in request.POST.getlist("email_triggers") if t in valid_triggers]
    if email not in NotificationPreference.Email.values:
        messages.error(request, "Choose how to get e-mail.")
    else:
        notifications.preference_set(user=request.user, email=email, email_triggers=triggers)
        messages.success(request, "Preferences saved.")
    return redirect("notification_list")
