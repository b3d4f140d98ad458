"""Reads for abuse reports: a reporter's limit and record, their reports, the agents' queue
of cases, open contests, and the transparency figures (DSA art. 15 and 24)."""

import statistics
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, F, Min, Q, QuerySet
from django.http import Http404

from helpdesk.models import User

from .models import (
    Report,
    ReportCase,
    ReportContest,
    ReportDecision,
    ReporterStanding,
    ReportSanction,
    Ticket,
)
from .report_limits import LimitState, limit_state, reporter_limit
from .reports import intake_maintenance, limit_rule


@dataclass(frozen=True)
class ReporterStatus:
    """Everything the report form says about the reporter: what is left and why not."""

    limit: LimitState
    suspended_until: datetime | None
    suspension_reason: str
    warned_at: datetime | None
    trusted_flagger: bool
    maintenance: bool
    maintenance_message: str

    @property
    def suspended(self) -> bool:
        return self.suspended_until is not None

    @property
    def can_send(self) -> bool:
        return not self.suspended and self.limit.remaining > 0


def reporter_status(*, user: User, now: datetime) -> ReporterStatus:
    standing = ReporterStanding.objects.filter(user=user).first() or ReporterStanding(user=user)
    rule = limit_rule()
    limit = reporter_limit(upheld=standing.upheld, rejected=standing.rejected, rule=rule)
    sent = list(
        Report.objects.filter(reporter=user, created_at__gt=now - rule.window)
        .order_by("created_at")
        .values_list("created_at", flat=True)
    )
    suspended = standing.suspended_until if (
        standing.suspended_until is not None and standing.suspended_until > now
    ) else None  # fmt: skip
    maintenance, message = intake_maintenance()
    return ReporterStatus(
        limit=limit_state(limit=limit, sent_at=sent, window=rule.window, now=now),
        suspended_until=suspended,
        suspension_reason=standing.suspension_reason if suspended else "",
        warned_at=standing.warned_at,
        trusted_flagger=standing.trusted_flagger,
        maintenance=maintenance,
        maintenance_message=message,
    )


def reports_of(user: User) -> QuerySet[Report]:
    return (
        Report.objects.filter(reporter=user)
        .select_related("ticket", "decision", "case")
        .order_by("-created_at", "-ticket_id")
    )


def report_get_for(*, user: User, ticket_id: int) -> Report:
    qs = Report.objects.select_related("ticket", "decision", "case")
    if not user.is_agent:
        qs = qs.filter(reporter=user)
    try:
        return qs.get(pk=ticket_id)
    except Report.DoesNotExist:
        raise Http404("No such report.") from None


def decision_get_for(*, user: User, decision_id: int) -> ReportDecision:
    """Visible to agents, to the reporters it informed and to the author of the content."""
    qs = ReportDecision.objects.select_related("case", "case__content", "agent")
    if not user.is_agent:
        qs = qs.filter(
            Q(reports__reporter=user) | Q(case__content__requester=user, outcome="upheld")
        ).distinct()
    try:
        return qs.get(pk=decision_id)
    except ReportDecision.DoesNotExist:
        raise Http404("No such decision.") from None


def sanctions_of(user: User) -> list[ReportSanction]:
    return list(ReportSanction.objects.filter(user=user).prefetch_related("contests"))


def report_cases_queue() -> QuerySet[ReportCase]:
    """Open cases, the earliest decision due first, with their undecided reports counted."""
    waiting = Q(reports__decision__isnull=True)
    return (
        ReportCase.objects.filter(state=ReportCase.State.OPEN)
        .annotate(
            waiting=Count("reports", filter=waiting),
            priority=Count("reports", filter=waiting & Q(reports__lane=Report.Lane.PRIORITY)),
            due_at=Min("reports__ticket__sla_due_at", filter=waiting),
            first_at=Min("reports__created_at", filter=waiting),
            reason=Min("reports__ticket__reason", filter=waiting),
            first_ticket=Min("reports__ticket_id", filter=waiting),
        )
        .filter(waiting__gt=0)
        .order_by(F("due_at").asc(nulls_last=True), "first_at", "id")
    )


def case_get(case_id: int) -> ReportCase:
    try:
        return ReportCase.objects.select_related("content").get(pk=case_id)
    except ReportCase.DoesNotExist:
        raise Http404("No such case.") from None


def case_reports(case: ReportCase) -> QuerySet[Report]:
    return case.reports.select_related("ticket", "reporter", "decision").order_by(
        "created_at", "ticket_id"
    )


def contests_open() -> QuerySet[ReportContest]:
    return (
        ReportContest.objects.filter(outcome__isnull=True)
        .select_related("by", "decision", "decision__agent", "decision__case", "sanction")
        .order_by("created_at", "id")
    )


def contest_get(contest_id: int) -> ReportContest:
    try:
        return ReportContest.objects.select_related(
            "by", "decision", "decision__agent", "decision__case", "sanction"
        ).get(pk=contest_id)
    except ReportContest.DoesNotExist:
        raise Http404("No such contest.") from None


def report_figures(*, since: datetime, until: datetime) -> dict:
    """The numbers of a DSA transparency report for reports received in [since, until)."""
    received = Report.objects.filter(created_at__gte=since, created_at__lt=until)
    by_reason = dict(
        received.values_list("ticket__reason").annotate(n=Count("pk")).order_by("ticket__reason")
    )
    decided = list(
        received.filter(decided_at__isnull=False).values_list(
            "created_at", "decided_at", "decision__outcome", "decision__automated"
        )
    )
    durations = [(d - c).total_seconds() for c, d, _, _ in decided]
    upheld = sum(1 for *_, outcome, _ in decided if outcome == Ticket.Outcome.UPHELD)
    sanctions = ReportSanction.objects.filter(created_at__gte=since, created_at__lt=until)
    suspensions = [
        {"reason": reason, "created_at": created, "ends_at": ends}
        for reason, created, ends in sanctions.filter(
            kind=ReportSanction.Kind.SUSPENSION
        ).values_list("reason", "created_at", "ends_at")
    ]
    contests = ReportContest.objects.filter(created_at__gte=since, created_at__lt=until)
    appeals = contests.aggregate(
        received=Count("pk"),
        decided=Count("pk", filter=Q(outcome__isnull=False)),
        reversed=Count("pk", filter=Q(outcome=ReportContest.Outcome.REVERSED)),
    )
    return {
        "since": since,
        "until": until,
        "received": received.count(),
        "by_reason": by_reason,
        "decided": len(decided),
        "upheld": upheld,
        "share_upheld": round(upheld / len(decided), 4) if decided else None,
        "median_seconds_to_decision": statistics.median(durations) if durations else None,
        "automated_decisions": sum(1 for *_, automated in decided if automated),
        "warnings": sanctions.filter(kind=ReportSanction.Kind.WARNING).count(),
        "suspensions": len(suspensions),
        "suspension_reasons": suspensions,
        "appeals": appeals["received"],
        "appeals_decided": appeals["decided"],
        "reversals": appeals["reversed"],
    }
