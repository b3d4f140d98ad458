"""Pages for abuse reports: the report form (single and batch), "My reports" with every
outcome and statement, the agents' queue of cases, deciding a case, reviewing contests.

A button that cannot be used is never just dead: the page says why (limit reached and when
it opens again, suspension with reason and end, maintenance).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from . import audit, reports
from . import report_selectors as selectors
from .forms_reports import (
    ContestDecideForm,
    ContestForm,
    DecideForm,
    ReportBatchForm,
    ReportForm,
)
from .models import ReportContest, ReportSanction
from .views import agent_required

PAGE_SIZE = 25


def _customer(request: HttpRequest) -> None:
    if request.user.is_agent:
        raise Http404("Agents decide reports; customers send them.")


def _submit(request: HttpRequest, form, items: list[reports.ReportInput]) -> bool:
    try:
        tickets = reports.report_batch_submit(
            reporter=request.user,
            items=items,
            good_faith=form.cleaned_data["good_faith"],
            now=timezone.now(),
        )
    except reports.ReportRefused as exc:
        form.add_error(None, str(exc))
        return False
    except ValueError as exc:
        form.add_error(None, str(exc))
        return False
    request.report_receipt = tickets
    return True


def _form_page(request: HttpRequest, *, batch: bool) -> HttpResponse:
    _customer(request)
    form_class = ReportBatchForm if batch else ReportForm
    if request.method == "POST":
        form = form_class(request.POST)
    else:
        form = form_class(
            initial={"target_url": request.GET.get("target", ""), "content": _int(request)}
        )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        urls = d["target_urls"] if batch else [d["target_url"]]
        items = [
            reports.ReportInput(
                target_url=url,
                reason=d["reason"],
                explanation=d["explanation"],
                evidence_links=d["evidence_links"],
                content_id=None if batch else d.get("content"),
            )
            for url in urls
        ]
        if _submit(request, form, items):
            tickets = request.report_receipt
            if len(tickets) == 1:
                messages.success(request, f"Report {tickets[0].reference} received.")
                return redirect("report_detail", ticket_id=tickets[0].pk)
            messages.success(request, f"{len(tickets)} reports received.")
            return redirect("my_reports")
    status = selectors.reporter_status(user=request.user, now=timezone.now())
    return render(
        request,
        "reports/report_new.html",
        {"form": form, "batch": batch, "status": status, "batch_max": reports.BATCH_MAX},
    )


def _int(request: HttpRequest) -> int | None:
    value = request.GET.get("content", "")
    return int(value) if value.isdigit() and len(value) < 18 else None


@login_required
@require_http_methods(["GET", "POST"])
def report_new(request: HttpRequest) -> HttpResponse:
    """`?target=<url>` prefills the address ("Report" links on product, question and review
    pages); `&content=<ticket id>` names the reported question or review."""
    return _form_page(request, batch=False)


@login_required
@require_http_methods(["GET", "POST"])
def report_batch(request: HttpRequest) -> HttpResponse:
    return _form_page(request, batch=True)


@login_required
def my_reports(request: HttpRequest) -> HttpResponse:
    _customer(request)
    page = Paginator(selectors.reports_of(request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "page": page,
        "status": selectors.reporter_status(user=request.user, now=timezone.now()),
        "sanctions": selectors.sanctions_of(request.user),
        "contest_form": ContestForm(),
    }
    return render(request, "reports/my_reports.html", context)


@login_required
def report_detail(request: HttpRequest, ticket_id: int) -> HttpResponse:
    report = selectors.report_get_for(user=request.user, ticket_id=ticket_id)
    if request.user.is_agent:
        return redirect("agent_report_case", case_id=report.case_id)
    contests = list(ReportContest.objects.filter(by=request.user, decision=report.decision_id))
    return render(
        request,
        "reports/report_detail.html",
        {"report": report, "contest_form": ContestForm(), "contests": contests},
    )


@login_required
def report_decision_view(request: HttpRequest, decision_id: int) -> HttpResponse:
    """A decision as the author of the reported content sees it, with the contest form."""
    decision = selectors.decision_get_for(user=request.user, decision_id=decision_id)
    contests = list(ReportContest.objects.filter(by=request.user, decision=decision))
    return render(
        request,
        "reports/decision.html",
        {"decision": decision, "contest_form": ContestForm(), "contests": contests},
    )


@login_required
@require_POST
def report_contest(request: HttpRequest, decision_id: int) -> HttpResponse:
    decision = selectors.decision_get_for(user=request.user, decision_id=decision_id)
    form = ContestForm(request.POST)
    if form.is_valid():
        try:
            reports.report_contest(
                user=request.user,
                decision=decision,
                explanation=form.cleaned_data["explanation"],
                now=timezone.now(),
            )
            messages.success(request, "Contest received: another agent will review it.")
        except reports.ReportError as exc:
            messages.error(request, str(exc))
    else:
        messages.error(request, "Please say why the decision is wrong.")
    return redirect(request.POST.get("next") or "my_reports")


@login_required
@require_POST
def sanction_contest(request: HttpRequest, sanction_id: int) -> HttpResponse:
    sanction = ReportSanction.objects.filter(pk=sanction_id, user=request.user).first()
    if sanction is None:
        raise Http404("No such sanction.")
    form = ContestForm(request.POST)
    if form.is_valid():
        try:
            reports.report_contest(
                user=request.user,
                sanction=sanction,
                explanation=form.cleaned_data["explanation"],
                now=timezone.now(),
            )
            messages.success(request, "Contest received: an agent will review it.")
        except reports.ReportError as exc:
            messages.error(request, str(exc))
    else:
        messages.error(request, "Please say why the sanction is wrong.")
    return redirect("my_reports")


# --- agents ---------------------------------------------------------------------------------


@agent_required
def agent_reports(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.report_cases_queue(), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "contests": list(selectors.contests_open()[:50])}
    return render(request, "reports/agent_reports.html", context)


@agent_required
@require_http_methods(["GET", "POST"])
def agent_report_case(request: HttpRequest, case_id: int) -> HttpResponse:
    case = selectors.case_get(case_id)
    rows = list(selectors.case_reports(case))
    if request.method == "GET":
        audit.ticket_views_record(
            user=request.user,
            ticket_ids=[r.ticket_id for r in rows],
            page=audit.Page.REPORT_CASE,
            now=timezone.now(),
        )
    waiting = [r for r in rows if r.decision_id is None]
    form = DecideForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not waiting:
            form.add_error(None, "Every report of this case is decided already.")
        else:
            try:
                reports.report_decide(
                    ticket=waiting[0].ticket,
                    agent=request.user,
                    outcome=form.cleaned_data["outcome"],
                    facts=form.cleaned_data["facts"],
                    rule=form.cleaned_data["rule"],
                    manifestly_unfounded=form.cleaned_data["manifestly_unfounded"],
                    now=timezone.now(),
                )
                messages.success(
                    request, f"Decided; {len({r.reporter_id for r in waiting})} reporter(s) told."
                )
                return redirect("agent_reports")
            except reports.ReportError as exc:
                form.add_error(None, str(exc))
    context = {
        "case": case,
        "rows": rows,
        "waiting": waiting,
        "form": form,
        "decisions": list(case.decisions.select_related("agent")),
    }
    return render(request, "reports/agent_case.html", context)


@agent_required
@require_http_methods(["GET", "POST"])
def agent_report_contest(request: HttpRequest, contest_id: int) -> HttpResponse:
    contest = selectors.contest_get(contest_id)
    form = ContestDecideForm(request.POST or None)
    own = contest.decision is not None and contest.decision.agent_id == request.user.pk
    if request.method == "POST" and form.is_valid():
        try:
            reports.report_contest_decide(
                contest=contest,
                reviewer=request.user,
                reverse_it=form.cleaned_data["outcome"] == ReportContest.Outcome.REVERSED,
                reply=form.cleaned_data["reply"],
                now=timezone.now(),
            )
            messages.success(request, "Contest reviewed; the person who contested is told.")
            return redirect("agent_reports")
        except (reports.ReportError, PermissionError) as exc:
            form.add_error(None, str(exc))
    return render(
        request, "reports/agent_contest.html", {"contest": contest, "form": form, "own": own}
    )
