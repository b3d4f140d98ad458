"""Pages for products, questions and reviews: public product pages, the author's own items,
the agents' moderation queue and the managers' neutrality monitor."""

from datetime import datetime, time, timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.html import format_html_join
from django.views.decorators.http import require_http_methods, require_POST

from helpdesk.models import Notification
from sla.display import customer_promise

from . import audit, moderation
from . import moderation_selectors as content
from .forms_moderation import (
    AnswerForm,
    BulkPublishForm,
    ContestDecideForm,
    ContestForm,
    ModerateForm,
    ModerationFilterForm,
    PeriodForm,
    QuestionForm,
    ResubmitForm,
    ReviewForm,
)
from .models import ModerationContest, Product, Ticket
from .neutrality import neutrality_report
from .views import agent_required

PAGE_SIZE = 25
QUEUE_PAGE_SIZE = 50


def _promise(ticket: Ticket, now: datetime):
    latest = {c.metric: c for c in ticket.clocks.order_by("started_at", "id")}
    return customer_promise([(c.metric, c.state, c.due_at) for c in latest.values()], now)


def _local(value: datetime) -> str:
    return date_format(timezone.localtime(value), "D j M, H:i T")


# --- public product pages -----------------------------------------------------------------


def product_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(content.product_list(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "products/list.html", {"page": page})


def _product_context(request, product: Product, **forms) -> dict:
    viewer = request.user if request.user.is_authenticated else None
    return {
        "product": product,
        "summary": content.product_rating_summary(product=product),
        "reviews": list(content.product_reviews_for(product=product, viewer=viewer)[:50]),
        "questions": list(content.product_questions_for(product=product, viewer=viewer)[:50]),
        "question_form": forms.get("question_form") or QuestionForm(prefix="question"),
        "review_form": forms.get("review_form") or ReviewForm(prefix="review"),
        "can_post": request.user.is_authenticated and not request.user.is_agent,
        "login_url": f"{reverse('login')}?{urlencode({'next': request.path})}",
    }


def product_detail(request: HttpRequest, sku: str) -> HttpResponse:
    product = content.product_get(sku=sku)
    return render(request, "products/detail.html", _product_context(request, product))


def _submitted(request: HttpRequest, ticket: Ticket, what: str) -> HttpResponse:
    promise = _promise(ticket, timezone.now())
    when = f" We aim to decide by {_local(promise.at)}." if promise else ""
    messages.success(request, f"Thank you: your {what} waits for moderation.{when}")
    return redirect("my_content_detail", ticket_id=ticket.pk)


def _customer_only(request: HttpRequest) -> None:
    if request.user.is_agent:
        raise Http404("Agents do not post questions or reviews.")


@login_required
@require_POST
def product_question_new(request: HttpRequest, sku: str) -> HttpResponse:
    _customer_only(request)
    product = content.product_get(sku=sku)
    form = QuestionForm(request.POST, prefix="question")
    if form.is_valid():
        ticket = moderation.question_submit(
            author=request.user, product=product, body=form.cleaned_data["body"], now=timezone.now()
        )
        return _submitted(request, ticket, "question")
    context = _product_context(request, product, question_form=form)
    return render(request, "products/detail.html", context, status=400)


@login_required
@require_POST
def product_review_new(request: HttpRequest, sku: str) -> HttpResponse:
    _customer_only(request)
    product = content.product_get(sku=sku)
    form = ReviewForm(request.POST, prefix="review")
    if form.is_valid():
        ticket = moderation.review_submit(
            author=request.user, product=product, now=timezone.now(), **form.cleaned_data
        )
        return _submitted(request, ticket, "review")
    context = _product_context(request, product, review_form=form)
    return render(request, "products/detail.html", context, status=400)


def moderation_policy(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "products/moderation_policy.html",
        {"reasons": moderation.Reason.choices, "contest_months": moderation.CONTEST_MONTHS},
    )


# --- the author's questions and reviews ---------------------------------------------------


@login_required
def my_content(request: HttpRequest) -> HttpResponse:
    page = Paginator(content.my_content(user=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "moderation/my_content.html", {"page": page})


def _my_item_context(request, ticket: Ticket, **forms) -> dict:
    decisions = content.content_decisions(ticket=ticket)
    latest = decisions[-1] if decisions else None
    now = timezone.now()
    contest = getattr(latest, "contest", None) if latest else None
    rejected = ticket.moderation == Ticket.Moderation.REJECTED
    can_contest = (
        rejected
        and latest is not None
        and latest.decision == "reject"
        and contest is None
        and now <= moderation.contest_deadline(latest.decided_at)
    )
    can_resubmit = (
        rejected
        and latest is not None
        and latest.decision == "reject"
        and (contest is None or contest.state != "open")
    )
    return {
        "ticket": ticket,
        "promise": _promise(ticket, now) if ticket.moderation == "pending" else None,
        "decisions": [(d, moderation.statement_of_reasons(d)) for d in decisions],
        "latest": latest,
        "contest": contest,
        "contest_deadline": moderation.contest_deadline(latest.decided_at) if latest else None,
        "can_resubmit": can_resubmit,
        "can_contest": can_contest,
        "answers": list(
            ticket.messages.filter(content.AGENT_AUTHOR, public=True, kind="reply")
            .select_related("author")
            .order_by("created_at", "id")
        ),
        "notifications": list(
            Notification.objects.filter(user=request.user, ticket=ticket).order_by(
                "-created_at", "-id"
            )[:10]
        ),
        "resubmit_form": forms.get("resubmit_form")
        or ResubmitForm(
            initial={"body": ticket.body, "title": ticket.subject, "rating": ticket.rating}
        ),
        "contest_form": forms.get("contest_form") or ContestForm(),
    }


def _own_item(request, ticket_id: int) -> Ticket:
    ticket = content.content_get_for(user=request.user, ticket_id=ticket_id)
    if ticket.requester_id != request.user.pk:
        raise Http404("No such question or review.")
    return ticket


@login_required
def my_content_detail(request: HttpRequest, ticket_id: int) -> HttpResponse:
    if request.user.is_agent:
        return redirect("agent_ticket", ticket_id=ticket_id)
    ticket = _own_item(request, ticket_id)
    Notification.objects.filter(user=request.user, ticket=ticket, read_at=None).update(
        read_at=timezone.now()
    )
    return render(request, "moderation/my_item.html", _my_item_context(request, ticket))


@login_required
@require_POST
def my_content_resubmit(request: HttpRequest, ticket_id: int) -> HttpResponse:
    ticket = _own_item(request, ticket_id)
    form = ResubmitForm(request.POST)
    if form.is_valid():
        try:
            ticket = moderation.content_resubmit(
                ticket=ticket,
                author=request.user,
                now=timezone.now(),
                body=form.cleaned_data["body"],
                title=form.cleaned_data.get("title") or None,
                rating=form.cleaned_data.get("rating") or None,
            )
        except (moderation.ModerationError, ValueError) as exc:
            form.add_error(None, str(exc))
        else:
            return _submitted(request, ticket, ticket.kind)
    context = _my_item_context(request, ticket, resubmit_form=form)
    return render(request, "moderation/my_item.html", context, status=400)


@login_required
@require_POST
def my_content_contest(request: HttpRequest, ticket_id: int) -> HttpResponse:
    ticket = _own_item(request, ticket_id)
    form = ContestForm(request.POST)
    if form.is_valid():
        try:
            moderation.decision_contest(
                ticket=ticket,
                author=request.user,
                statement=form.cleaned_data["statement"],
                now=timezone.now(),
            )
        except (moderation.ModerationError, ValueError) as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Your contest is sent; another moderator will review it.")
            return redirect("my_content_detail", ticket_id=ticket.pk)
    context = _my_item_context(request, ticket, contest_form=form)
    return render(request, "moderation/my_item.html", context, status=400)


# --- the agents' moderation queue ---------------------------------------------------------


@agent_required
def moderation_queue(request: HttpRequest) -> HttpResponse:
    products = list(Product.objects.order_by("name").only("sku", "name"))
    form = ModerationFilterForm(request.GET, products=products)
    f = form.values()
    page = Paginator(content.moderation_queue(**f), QUEUE_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    kept = {k: v for k, v in f.items() if v}
    context = {
        "form": form,
        "page": page,
        "query": urlencode(kept),
        "filtered": bool(kept),
        # Rendered once, not once per row: the same options in every row's reject form.
        "reason_options": format_html_join(
            "",
            '<option value="{}">{}</option>',
            (
                (value, label)
                for value, label in moderation.Reason.choices
                if value != moderation.Reason.SERVICE_QUESTION
            ),
        ),
        "contests": list(content.contests_open()[:50]),
        "awaiting_answer": list(content.questions_awaiting_answer()[:50]),
        "answer_form": AnswerForm(),
        "now": timezone.now(),
    }
    shown = [
        *(item.pk for item in page),
        *(contest.ticket_id for contest in context["contests"]),
        *(question.pk for question in context["awaiting_answer"]),
    ]
    audit.ticket_views_record(
        user=request.user, ticket_ids=shown, page=audit.Page.MODERATION_QUEUE, now=context["now"]
    )
    return render(request, "moderation/queue.html", context)


def _back_to_queue(request: HttpRequest) -> HttpResponse:
    target = request.POST.get("next", "")
    if target.startswith("/moderation/") and "//" not in target:
        return redirect(target)
    return redirect("moderation_queue")


@agent_required
@require_POST
def moderation_decide(request: HttpRequest, ticket_id: int) -> HttpResponse:
    ticket = get_object_or_404(Ticket, pk=ticket_id, kind__in=content.CONTENT_KINDS)
    form = ModerateForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, f"#{ticket.pk} not decided: {error}")
        return _back_to_queue(request)
    try:
        decision = moderation.content_moderate(
            ticket=ticket, moderator=request.user, now=timezone.now(), **form.cleaned_data
        )
    except (moderation.ModerationError, ValueError) as exc:
        messages.error(request, f"#{ticket.pk}: {exc}")
    else:
        done = {"publish": "published", "reject": "rejected", "convert": "turned into a ticket"}
        messages.success(
            request, f"#{ticket.pk} {done[decision.decision]}; the author has been told."
        )
    return _back_to_queue(request)


@agent_required
@require_POST
def moderation_bulk_publish(request: HttpRequest) -> HttpResponse:
    form = BulkPublishForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Select the items to publish first.")
        return _back_to_queue(request)
    count = moderation.content_bulk_publish(
        ticket_ids=form.cleaned_data["ids"], moderator=request.user, now=timezone.now()
    )
    messages.success(request, f"{count} published; their authors have been told.")
    return _back_to_queue(request)


@agent_required
@require_POST
def moderation_contest_decide(request: HttpRequest, contest_id: int) -> HttpResponse:
    contest = get_object_or_404(ModerationContest, pk=contest_id)
    form = ContestDecideForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose an outcome and explain it to the author.")
        return _back_to_queue(request)
    try:
        moderation.contest_decide(
            contest=contest,
            reviewer=request.user,
            reverse_decision=form.cleaned_data["outcome"] == "reversed",
            explanation=form.cleaned_data["explanation"],
            now=timezone.now(),
        )
    except (moderation.ModerationError, ValueError) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Contest decided; the author has been told.")
    return _back_to_queue(request)


@agent_required
@require_POST
def moderation_answer(request: HttpRequest, ticket_id: int) -> HttpResponse:
    ticket = get_object_or_404(Ticket, pk=ticket_id, kind=Ticket.Kind.QUESTION)
    form = AnswerForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Write an answer first.")
        return _back_to_queue(request)
    try:
        moderation.question_answer(
            ticket=ticket, agent=request.user, body=form.cleaned_data["body"], now=timezone.now()
        )
    except (moderation.ModerationError, PermissionError) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Answer to #{ticket.pk} published.")
    return _back_to_queue(request)


# --- the managers' neutrality monitor -----------------------------------------------------


@agent_required
@require_http_methods(["GET"])
def neutrality(request: HttpRequest) -> HttpResponse:
    if not request.user.is_manager:
        raise Http404("No such page.")
    form = PeriodForm(request.GET)
    today = timezone.localdate()
    since_day, until_day = today - timedelta(days=30), today
    if form.is_valid():
        since_day = form.cleaned_data["since"] or since_day
        until_day = form.cleaned_data["until"] or until_day
    zone = timezone.get_current_timezone()
    since = datetime.combine(since_day, time.min, tzinfo=zone)
    until = datetime.combine(until_day + timedelta(days=1), time.min, tzinfo=zone)
    report = neutrality_report(since=since, until=until) if since < until else None
    return render(
        request,
        "moderation/neutrality.html",
        {"form": form, "report": report, "since_day": since_day, "until_day": until_day},
    )
