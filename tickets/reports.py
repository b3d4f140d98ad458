"""Writes for abuse reports: submit (one or a batch), decide a case with a statement of
reasons, contest a decision or a sanction, release reports held during maintenance.

Every refusal is an exception that says why (limit, suspension), never a silent no-op; the
limit is checked with the reporter's standing row locked, so parallel requests cannot pass
it together.
"""

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse

from helpdesk.models import User
from helpdesk.notifications import notification_send
from sla import services as sla
from sla.fetch import policies_snapshot
from sla.models import Event

from .models import (
    REASONS,
    Message,
    Report,
    ReportCase,
    ReportContest,
    ReportDecision,
    ReporterStanding,
    ReportIntake,
    ReportSanction,
    Ticket,
)
from .report_limits import (
    DecidedReport,
    LimitRule,
    LimitState,
    MisuseRule,
    in_priority_lane,
    limit_state,
    misuse_verdict,
    normalise_url,
    reporter_limit,
)
from .services import ticket_facts, ticket_sla_due_refresh

BATCH_MAX = 50
CONTEST_WINDOW = timedelta(days=183)  # six months
REASON_LABELS = dict(REASONS)
# The rule each reason invokes; an agent may name a more precise one when deciding.
RULES = {
    "copyright": "Terms of sale §4.2: no photos or texts used without the rights holder's consent",
    "counterfeit": "Terms of sale §4.3: no counterfeit goods or misuse of trade marks",
    "prohibited": "Terms of sale §4.1 and the list of prohibited items",
    "fraud": "Terms of sale §5: no fraud, scams or payments outside the shop",
    "hate": "Community rules §2: no hate speech or harassment",
    "personal_data": "Privacy policy §3: no personal data of others without consent",
    "other": "Terms of sale and community rules",
}


class ReportError(Exception):
    """A request that conflicts with the state of a report, case or contest (HTTP 409)."""


class ReportRefused(Exception):
    """The reporter may not send this now; the message says why."""


class ReportLimitExceeded(ReportRefused):
    def __init__(self, state: LimitState, wanted: int, now: datetime):
        self.state, self.wanted, self.now = state, wanted, now
        opens = state.resets_at.strftime("%H:%M UTC") if state.resets_at else "soon"
        what = "this report" if wanted == 1 else f"these {wanted} reports"
        super().__init__(
            f"You have reached your limit of {state.limit} reports per hour "
            f"({state.remaining} left, {what} would not fit). You can send {what} "
            f"from {opens}."
        )


class ReportingSuspended(ReportRefused):
    def __init__(self, reason: str, until: datetime):
        self.reason, self.until = reason, until
        super().__init__(
            f"Reporting is suspended for misuse until {until:%Y-%m-%d %H:%M} UTC. You can "
            "contest the suspension under My reports."
        )


def limit_rule() -> LimitRule:
    return LimitRule.from_settings(getattr(settings, "REPORT_LIMITS", None))


def misuse_rule() -> MisuseRule:
    return MisuseRule.from_settings(getattr(settings, "REPORT_MISUSE", None))


def intake_maintenance() -> tuple[bool, str]:
    """On when the REPORTS_MAINTENANCE setting or the managers' switch says so."""
    row = ReportIntake.objects.first()
    message = row.message if row else ReportIntake._meta.get_field("message").default
    return bool(getattr(settings, "REPORTS_MAINTENANCE", False) or (row and row.maintenance)), (
        message
    )


@dataclass(frozen=True)
class ReportInput:
    target_url: str
    reason: str
    explanation: str
    evidence_links: list[str] = field(default_factory=list)
    seller: str = ""
    content_id: int | None = None


def _standing_locked(user: User) -> ReporterStanding:
    ReporterStanding.objects.bulk_create([ReporterStanding(user=user)], ignore_conflicts=True)
    return ReporterStanding.objects.select_for_update().get(user=user)


def _window_times(user: User, rule: LimitRule, now: datetime) -> list[datetime]:
    return list(
        Report.objects.filter(reporter=user, created_at__gt=now - rule.window)
        .order_by("created_at")
        .values_list("created_at", flat=True)
    )


def _case_key(url: str, seller: str) -> str:
    basis = f"seller:{seller.strip().lower()}" if seller.strip() else f"url:{url}"
    return hashlib.sha256(basis.encode()).hexdigest()


def _case_for(*, url: str, seller: str, content: Ticket | None, now: datetime) -> ReportCase:
    key = _case_key(url, seller)
    ReportCase.objects.bulk_create(
        [
            ReportCase(
                key=key, target_url=url, seller=seller.strip(), content=content, created_at=now
            )
        ],
        ignore_conflicts=True,
    )
    case = ReportCase.objects.get(key=key)
    if case.state == ReportCase.State.DECIDED:
        # A new report on a decided target is new information: the case opens again, and
        # only the reports not yet decided wait for the next decision.
        ReportCase.objects.filter(pk=case.pk).update(state=ReportCase.State.OPEN)
        case.state = ReportCase.State.OPEN
    return case


def _content(content_id: int | None) -> Ticket | None:
    if content_id is None:
        return None
    content = Ticket.objects.filter(
        pk=content_id, kind__in=[Ticket.Kind.QUESTION, Ticket.Kind.REVIEW]
    ).first()
    if content is None:
        raise ValueError("No question or review with this id.")
    return content


@transaction.atomic
def report_batch_submit(
    *,
    reporter: User,
    items: list[ReportInput],
    good_faith: bool,
    now: datetime,
    channel: str = Message.Channel.WEB,
) -> list[Ticket]:
    """Accept every report of the batch or none: over the limit, the exception says how many
    are left and when the batch fits."""
    if reporter.is_agent:
        raise PermissionError("Agents decide reports; customers send them.")
    if not 1 <= len(items) <= BATCH_MAX:
        raise ValueError(f"Send between 1 and {BATCH_MAX} reports at once.")
    standing = _standing_locked(reporter)
    if standing.suspended_until is not None and standing.suspended_until > now:
        raise ReportingSuspended(standing.suspension_reason, standing.suspended_until)
    rule = limit_rule()
    limit = reporter_limit(upheld=standing.upheld, rejected=standing.rejected, rule=rule)
    state = limit_state(
        limit=limit, sent_at=_window_times(reporter, rule, now), window=rule.window, now=now,
        wanted=len(items),
    )  # fmt: skip
    if len(items) > state.remaining:
        raise ReportLimitExceeded(state, len(items), now)
    held, _ = intake_maintenance()
    priority = in_priority_lane(
        upheld=standing.upheld,
        rejected=standing.rejected,
        trusted_flagger=standing.trusted_flagger,
        rule=rule,
    )
    policies = None if held else policies_snapshot()
    tickets = []
    for item in items:
        url = normalise_url(item.target_url)
        case = _case_for(url=url, seller=item.seller, content=_content(item.content_id), now=now)
        ticket = Ticket.objects.create(
            kind=Ticket.Kind.REPORT,
            subject=f"Report ({item.reason}): {url}"[:200],
            body=item.explanation,
            requester=reporter,
            priority=Ticket.Priority.HIGH if priority else Ticket.Priority.NORMAL,
            channel=channel,
            status=Ticket.Status.OPEN,
            created_at=now,
            updated_at=now,
            target_url=item.target_url,
            reason=item.reason,
        )
        Report.objects.create(
            ticket=ticket,
            case=case,
            reporter=reporter,
            created_at=now,
            evidence_links=list(item.evidence_links),
            good_faith=good_faith,
            lane=Report.Lane.PRIORITY if priority else Report.Lane.NORMAL,
            held=held,
        )
        if not held:
            _clock_start(ticket, now, policies)
        tickets.append(ticket)
    _receipt(reporter, tickets, held=held, now=now)
    return tickets


def report_submit(
    *, reporter: User, item: ReportInput, good_faith: bool, now: datetime, channel: str = "web"
) -> Ticket:
    return report_batch_submit(
        reporter=reporter, items=[item], good_faith=good_faith, now=now, channel=channel
    )[0]


def _clock_start(ticket: Ticket, now: datetime, policies) -> None:
    clocks = sla.clocks_start(
        facts=ticket_facts(ticket),
        metrics=sla.START_METRICS["report"],
        now=now,
        policies=policies,
    )
    running = [c.due_at for c in clocks if c.state == "running"]
    if running:
        ticket.sla_due_at = min(running)
        Ticket.objects.filter(pk=ticket.pk).update(sla_due_at=ticket.sla_due_at)


def _receipt(reporter: User, tickets: list[Ticket], *, held: bool, now: datetime) -> None:
    first = tickets[0]
    if held:
        when = "Report handling is paused for maintenance: they are queued, and the decision "
        when += "time starts when handling resumes."
    elif first.sla_due_at:
        when = f"We aim to decide by {first.sla_due_at:%Y-%m-%d %H:%M} UTC."
    else:
        when = "We will decide as soon as we can."
    if len(tickets) == 1:
        text = f"We received your report {first.reference} about {first.target_url}. {when}"
        url = reverse("report_detail", args=[first.pk])
    else:
        text = f"We received your {len(tickets)} reports ({first.reference} onwards). {when}"
        url = reverse("my_reports")
    notification_send(
        recipients=[reporter], kind="report_received", text=text, now=now, ticket_id=first.pk,
        url=url, email=False,
    )  # fmt: skip


@transaction.atomic
def reports_release_held(*, now: datetime) -> int:
    """After maintenance: start the decision clocks of the held reports, from now."""
    held, _ = intake_maintenance()
    if held:
        return 0
    reports = list(
        Report.objects.select_for_update(of=("self",)).filter(held=True).select_related("ticket")
    )
    policies = policies_snapshot()
    for report in reports:
        _clock_start(report.ticket, now, policies)
    Report.objects.filter(pk__in=[r.pk for r in reports]).update(held=False)
    return len(reports)


@transaction.atomic
def report_intake_set(*, actor: User, maintenance: bool, now: datetime) -> ReportIntake:
    if not actor.is_manager:
        raise PermissionError("Only managers switch report intake.")
    row = ReportIntake.objects.select_for_update().first() or ReportIntake()
    row.maintenance = maintenance
    row.save()
    if not maintenance:
        reports_release_held(now=now)
    return row


# --- decisions ----------------------------------------------------------------------------


def statement_compose(
    *,
    outcome: str,
    target_url: str,
    reason: str,
    facts: str,
    rule: str,
    automated: bool,
    manifestly_unfounded: bool,
    contest_until: datetime,
    review_of: ReportDecision | None = None,
) -> str:
    """The statement of reasons of DSA art. 17: what was decided, the facts, the rule,
    whether automation was involved, how to contest."""
    label = REASON_LABELS.get(reason, reason)
    if outcome == Ticket.Outcome.UPHELD:
        decided = f"Upheld: the content at {target_url} breaches our rules ({label}) and was "
        decided += "removed or disabled."
    else:
        decided = f"Rejected: the content at {target_url} stays online; it was not found to "
        decided += f"breach our rules ({label})."
        if manifestly_unfounded:
            decided += " The report was found manifestly unfounded."
    if review_of is not None:
        decided = (
            f"On review of the contested decision of {review_of.decided_at:%Y-%m-%d}: " + decided
        )
    automation = (
        "Automated means were used to reach this decision."
        if automated
        else "No automated means were used: an agent reviewed the report and decided."
    )
    contest = (
        f"You can contest this decision until {contest_until:%Y-%m-%d} under My reports; "
        "another agent will review it. You may also turn to a certified out-of-court dispute "
        "settlement body or to the courts."
    )
    return "\n".join(
        [
            f"Decision: {decided}",
            f"Facts: {facts}",
            f"Rule applied: {rule}",
            f"Automation: {automation}",
            f"How to contest: {contest}",
        ]
    )


def _default_rule(reason: str, outcome: str) -> str:
    rule = RULES.get(reason, RULES["other"])
    return rule if outcome == Ticket.Outcome.UPHELD else f"{rule} (not breached)"


@transaction.atomic
def report_decide(
    *,
    ticket: Ticket,
    agent: User,
    outcome: str,
    facts: str,
    now: datetime,
    rule: str = "",
    automated: bool = False,
    manifestly_unfounded: bool = False,
) -> ReportDecision:
    """Decide the ticket's case: every report of it not yet decided gets this decision, each
    reporter is told at once, and the author of the content when it is upheld."""
    if not agent.is_agent:
        raise PermissionError("Only agents decide reports.")
    if outcome not in Ticket.Outcome.values:
        raise ValueError("The outcome is upheld or rejected.")
    if manifestly_unfounded and outcome != Ticket.Outcome.REJECTED:
        raise ValueError("Only a rejected report can be manifestly unfounded.")
    report = Report.objects.filter(ticket_id=ticket.pk).first()
    if ticket.kind != Ticket.Kind.REPORT or report is None:
        raise ReportError("Only reports are decided this way.")
    case = (
        ReportCase.objects.select_for_update(of=("self",))
        .select_related("content")
        .get(pk=report.case_id)
    )
    reports = list(case.reports.filter(decision__isnull=True).select_related("ticket"))
    if not reports:
        raise ReportError("This report has already been decided.")
    rule = rule.strip() or _default_rule(ticket.reason, outcome)
    decision = ReportDecision.objects.create(
        case=case,
        agent=agent,
        outcome=outcome,
        facts=facts,
        rule=rule,
        automated=automated,
        manifestly_unfounded=manifestly_unfounded,
        statement=statement_compose(
            outcome=outcome,
            target_url=case.target_url,
            reason=ticket.reason,
            facts=facts,
            rule=rule,
            automated=automated,
            manifestly_unfounded=manifestly_unfounded,
            contest_until=now + CONTEST_WINDOW,
        ),
        decided_at=now,
    )
    _apply_decision(decision, reports, now=now, first=True)
    ReportCase.objects.filter(pk=case.pk).update(
        state=ReportCase.State.DECIDED, outcome=outcome, decided_at=now
    )
    if outcome == Ticket.Outcome.REJECTED:
        for reporter_id in {r.reporter_id for r in reports}:
            _misuse_check(reporter_id, now=now)
    return decision


def _apply_decision(
    decision: ReportDecision, reports: list[Report], *, now: datetime, first: bool
) -> None:
    ids = [r.pk for r in reports]
    Report.objects.filter(pk__in=ids).update(
        decision=decision, decided_at=now, manifestly_unfounded=decision.manifestly_unfounded
    )
    Ticket.objects.filter(pk__in=ids).update(
        outcome=decision.outcome, status=Ticket.Status.SOLVED, updated_at=now
    )
    Ticket.objects.filter(pk__in=ids, assignee__isnull=True).update(assignee=decision.agent)
    Message.objects.bulk_create(
        [
            Message(
                ticket_id=pk, author=decision.agent, body=decision.statement, public=True,
                created_at=now,
            )
            for pk in ids
        ]
    )  # fmt: skip
    for pk in ids:
        sla.sla_report_decided(ticket_id=pk, now=now)
    ticket_sla_due_refresh(ticket_ids=ids)
    # The reporters' records: a reversal moves each report from one count to the other.
    per_reporter = Counter(r.reporter_id for r in reports)
    ReporterStanding.objects.bulk_create(
        [ReporterStanding(user_id=uid) for uid in per_reporter], ignore_conflicts=True
    )
    upheld = decision.outcome == Ticket.Outcome.UPHELD
    for uid, n in per_reporter.items():
        changes = {"upheld": F("upheld") + n} if upheld else {"rejected": F("rejected") + n}
        if not first:
            if upheld:
                changes["rejected"] = F("rejected") - n
            else:
                changes["upheld"] = F("upheld") - n
        ReporterStanding.objects.filter(user_id=uid).update(**changes)
    reporters = {r.reporter_id: r for r in reports}
    users = User.objects.in_bulk(list(reporters))
    for uid, report in reporters.items():
        notification_send(
            recipients=[users[uid]],
            kind="report_decided",
            text=f"Decision on your report {report.ticket.reference}:\n{decision.statement}",
            now=now,
            ticket_id=report.pk,
            url=reverse("report_detail", args=[report.pk]),
        )
    content = decision.case.content
    if upheld and content is not None:
        notification_send(
            recipients=[content.requester],
            kind="content_report_upheld",
            text=f"A report against your {content.get_kind_display().lower()} "
            f"{content.reference} was upheld.\n{decision.statement}",
            now=now,
            ticket_id=content.pk,
            url=reverse("report_decision_view", args=[decision.pk]),
        )


def _misuse_check(user_id: int, *, now: datetime) -> ReportSanction | None:
    rule = misuse_rule()
    standing = ReporterStanding.objects.select_for_update().get(user_id=user_id)
    decisions = [
        DecidedReport(decided_at=at, unfounded=unfounded)
        for at, unfounded in Report.objects.filter(
            reporter_id=user_id, decided_at__gt=now - rule.window
        ).values_list("decided_at", "manifestly_unfounded")
    ]
    verdict = misuse_verdict(
        decisions=decisions,
        warned_at=standing.warned_at,
        suspended_until=standing.suspended_until,
        trusted_flagger=standing.trusted_flagger,
        rule=rule,
        now=now,
    )
    if verdict.action == "none":
        return None
    user = User.objects.get(pk=user_id)
    if verdict.action == "warn":
        sanction = ReportSanction.objects.create(
            user_id=user_id, kind=ReportSanction.Kind.WARNING, reason=verdict.reason, created_at=now
        )
        standing.warned_at = now
        standing.save(update_fields=["warned_at"])
        days = round(rule.suspension.total_seconds() / 86400)
        text = (
            f"Warning about your reports: {verdict.reason} If this happens again, reporting "
            f"will be suspended for {days} days. You can contest this warning under My reports."
        )
    else:
        ends = now + rule.suspension
        sanction = ReportSanction.objects.create(
            user_id=user_id,
            kind=ReportSanction.Kind.SUSPENSION,
            reason=verdict.reason,
            created_at=now,
            ends_at=ends,
        )
        standing.suspended_until = ends
        standing.suspension_reason = verdict.reason
        standing.save(update_fields=["suspended_until", "suspension_reason"])
        text = (
            f"Reporting is suspended until {ends:%Y-%m-%d %H:%M} UTC, after an earlier warning: "
            f"{verdict.reason} You can contest the suspension under My reports."
        )
    notification_send(
        recipients=[user], kind=f"report_{sanction.kind}", text=text, now=now,
        url=reverse("my_reports"),
    )  # fmt: skip
    return sanction


# --- contests -------------------------------------------------------------------------------


@transaction.atomic
def report_contest(
    *,
    user: User,
    explanation: str,
    now: datetime,
    decision: ReportDecision | None = None,
    sanction: ReportSanction | None = None,
) -> ReportContest:
    """A reporter (or the author of upheld content) contests a decision, or a reporter a
    sanction, within six months."""
    if (decision is None) == (sanction is None):
        raise ValueError("Contest either a decision or a sanction.")
    if decision is not None:
        allowed = Report.objects.filter(decision=decision, reporter=user).exists() or (
            decision.outcome == Ticket.Outcome.UPHELD
            and decision.case.content_id is not None
            and decision.case.content.requester_id == user.pk
        )
        if not allowed or decision.reversed_by.exists():
            raise ReportError("This decision cannot be contested by you.")
        since = decision.decided_at
    else:
        if sanction.user_id != user.pk or sanction.lifted_at is not None:
            raise ReportError("This sanction cannot be contested by you.")
        since = sanction.created_at
    if now > since + CONTEST_WINDOW:
        raise ReportError("The six months to contest this have passed.")
    try:
        with transaction.atomic():
            contest = ReportContest.objects.create(
                decision=decision, sanction=sanction, by=user, explanation=explanation,
                created_at=now,
            )  # fmt: skip
    except IntegrityError:
        raise ReportError("You have already contested this.") from None
    ticket_id = _contested_ticket_id(decision, user) if decision is not None else None
    if ticket_id is not None:
        sla.event_record(
            ticket_id=ticket_id,
            kind=Event.Kind.DECISION_CONTESTED,
            subject_key=f"report-contest:{contest.pk}",
            now=now,
        )
    return contest


def _contested_ticket_id(decision: ReportDecision, user: User) -> int | None:
    """The ticket a contest of a report decision escalates on: the contester's own report,
    else the reported content (its author contests)."""
    own = Report.objects.filter(decision=decision, reporter=user).values_list(
        "ticket_id", flat=True
    )
    return own.first() or decision.case.content_id


@transaction.atomic
def report_contest_decide(
    *, contest: ReportContest, reviewer: User, reverse_it: bool, reply: str, now: datetime
) -> ReportContest:
    """Review a contest: never by the agent who made the contested decision."""
    if not reviewer.is_agent:
        raise PermissionError("Only agents review contests.")
    contest = ReportContest.objects.select_for_update().get(pk=contest.pk)
    if contest.outcome is not None:
        raise ReportError("This contest has already been reviewed.")
    decision = contest.decision
    if decision is not None and decision.agent_id == reviewer.pk:
        raise PermissionError("Another agent than the one who decided must review a contest.")
    contest.reviewer = reviewer
    contest.outcome = (
        ReportContest.Outcome.REVERSED if reverse_it else ReportContest.Outcome.CONFIRMED
    )
    contest.reply = reply
    contest.decided_at = now
    contest.save(update_fields=["reviewer", "outcome", "reply", "decided_at"])
    if decision is not None and reverse_it:
        _reverse_decision(decision, reviewer=reviewer, reply=reply, now=now)
    elif contest.sanction is not None and reverse_it:
        _lift_sanction(contest.sanction, now=now)
    verdict = "reversed" if reverse_it else "confirmed"
    notification_send(
        recipients=[contest.by],
        kind="report_contest_decided",
        text=f"Your contest was reviewed by another agent: the decision is {verdict}.\n{reply}",
        now=now,
        url=reverse("my_reports"),
    )
    return contest


def _reverse_decision(
    decision: ReportDecision, *, reviewer: User, reply: str, now: datetime
) -> ReportDecision:
    outcome = (
        Ticket.Outcome.REJECTED
        if decision.outcome == Ticket.Outcome.UPHELD
        else Ticket.Outcome.UPHELD
    )
    reports = list(Report.objects.filter(decision=decision).select_related("ticket"))
    reason = reports[0].ticket.reason if reports else "other"
    rule = _default_rule(reason, outcome)
    reversal = ReportDecision.objects.create(
        case=decision.case,
        agent=reviewer,
        outcome=outcome,
        facts=reply,
        rule=rule,
        statement=statement_compose(
            outcome=outcome,
            target_url=decision.case.target_url,
            reason=reason,
            facts=reply,
            rule=rule,
            automated=False,
            manifestly_unfounded=False,
            contest_until=now + CONTEST_WINDOW,
            review_of=decision,
        ),
        decided_at=now,
        reverses=decision,
    )
    _apply_decision(reversal, reports, now=now, first=False)
    ReportCase.objects.filter(pk=decision.case_id).update(outcome=outcome)
    return reversal


def _lift_sanction(sanction: ReportSanction, *, now: datetime) -> None:
    ReportSanction.objects.filter(pk=sanction.pk).update(lifted_at=now)
    standing = ReporterStanding.objects.select_for_update().get(user_id=sanction.user_id)
    if sanction.kind == ReportSanction.Kind.SUSPENSION:
        standing.suspended_until = None
        standing.suspension_reason = ""
    else:
        standing.warned_at = None
    standing.save(update_fields=["suspended_until", "suspension_reason", "warned_at"])
