"""Server-rendered pages: the customer portal and the agent workspace.

Each view parses input with a form, calls one service or selector and renders. For htmx
requests it renders only the `{% partialdef %}` sections that changed; the main one replaces
the request's target and the others ride along with `hx-swap-oob`.
"""

from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import reswap

from helpdesk.models import User
from sla.display import METRIC_LABELS, clock_view, customer_promise

from . import audit, selectors, services
from .forms import LoginForm, QueueFilterForm, ReplyForm, SignupForm, TicketForm, TicketUpdateForm
from .models import Queue, Ticket

MY_TICKETS_PAGE_SIZE = 25
AGENT_QUEUE_PAGE_SIZE = 50
COUNTED_STATUSES = (Ticket.Status.OPEN, Ticket.Status.PENDING, Ticket.Status.SOLVED)
# What a queue row shows, so sorting a large queue does not drag bodies along.
_PERSON = ("username", "first_name", "last_name")
QUEUE_ROW_FIELDS = (
    *("id", "subject", "kind", "status", "priority", "created_at", "updated_at", "sla_due_at"),
    "queue__name",
    *(f"requester__{name}" for name in _PERSON),
    *(f"assignee__{name}" for name in _PERSON),
)


# --- helpers ---------------------------------------------------------------------------


def _wants_partial(request: HttpRequest) -> bool:
    """An htmx swap, but not htmx restoring a page that fell out of its history cache."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request


def _render_sections(
    request: HttpRequest,
    template: str,
    context: dict,
    main: str | None,
    oob: tuple[str, ...] = (),
) -> HttpResponse:
    """The `main` partial for the htmx target, the `oob` partials and flash messages.

    Without `main` the target is left as it is (`HX-Reswap: none`): the element the user
    just used is not replaced under their hands.
    """
    oob_context = {**context, "oob": True}
    parts = [
        *([render_to_string(f"{template}#{main}", context, request)] if main else []),
        *(render_to_string(f"{template}#{name}", oob_context, request) for name in oob),
        render_to_string("base.html#messages", {"oob": True}, request),
    ]
    response = HttpResponse("\n".join(part.strip() for part in parts))
    if not main:
        reswap(response, "none")
    patch_vary_headers(response, ["HX-Request"])
    return response


def agent_required(view):
    """Agents and managers only; anyone else gets a 404, as if the page did not exist."""

    @wraps(view)
    @login_required
    def wrapper(request: HttpRequest, *args, **kwargs):
        if not request.user.is_agent:
            raise Http404("No such page.")
        return view(request, *args, **kwargs)

    return wrapper


def manager_required(view):
    """Managers only (a superuser included); agents and anyone else get a 404."""

    @wraps(view)
    @agent_required
    def wrapper(request: HttpRequest, *args, **kwargs):
        if not request.user.is_manager:
            raise Http404("No such page.")
        return view(request, *args, **kwargs)

    return wrapper


def _agents() -> list[User]:
    return list(
        User.objects.filter(
            Q(role__in=[User.Role.AGENT, User.Role.MANAGER]) | Q(is_superuser=True),
            is_active=True,
        ).order_by("first_name", "username")
    )


# --- home and accounts -----------------------------------------------------------------


def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("login")
    return redirect("agent_queue" if request.user.is_agent else "my_tickets")


class HelpdeskLoginView(LoginView):
    """Django's LoginView: its form authenticates with the request, which django-axes needs."""

    authentication_form = LoginForm
    redirect_authenticated_user = True


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("home")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = services.user_signup(
            username=form.cleaned_data["username"],
            email=form.cleaned_data["email"],
            password=form.cleaned_data["password1"],
        )
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"Welcome, {user.display_name}! Your account is ready.")
        return redirect("my_tickets")
    return render(request, "registration/signup.html", {"form": form})


# --- customer portal -------------------------------------------------------------------


@login_required
def my_tickets(request: HttpRequest) -> HttpResponse:
    tickets = Ticket.objects.filter(requester=request.user).select_related("queue").defer("body")
    page = Paginator(tickets, MY_TICKETS_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "tickets/my_tickets.html", {"page": page})


@login_required
@require_http_methods(["GET", "POST"])
def ticket_new(request: HttpRequest) -> HttpResponse:
    form = TicketForm(request.POST or None, queues=list(Queue.objects.all()))
    if request.method == "POST" and form.is_valid():
        ticket = services.ticket_create(
            requester=request.user,
            subject=form.cleaned_data["subject"],
            body=form.cleaned_data["body"],
            queue=form.cleaned_data["queue"],
            priority=form.cleaned_data["priority"],
            now=timezone.now(),
        )
        messages.success(request, f"Ticket {ticket.reference} created.")
        return redirect("ticket_detail", ticket_id=ticket.pk)
    return render(request, "tickets/ticket_new.html", {"form": form})


def _add_reply(request: HttpRequest, ticket: Ticket, form: ReplyForm) -> bool:
    if not form.is_valid():
        return False
    public = form.is_public or not request.user.is_agent
    try:
        services.ticket_reply_add(
            ticket=ticket,
            author=request.user,
            body=form.cleaned_data["body"],
            public=public,
            now=timezone.now(),
        )
    except (services.TicketError, PermissionError) as exc:
        form.add_error(None, str(exc))
        return False
    messages.success(request, "Reply sent." if public else "Internal note added.")
    return True


@login_required
@require_http_methods(["GET", "POST"])
def ticket_detail(request: HttpRequest, ticket_id: int) -> HttpResponse:
    ticket = selectors.ticket_get_for(user=request.user, ticket_id=ticket_id)
    if request.user.is_agent:
        return redirect("agent_ticket", ticket_id=ticket.pk)
    form = ReplyForm(request.POST or None)
    if request.method == "POST" and _add_reply(request, ticket, form):
        if not _wants_partial(request):
            return redirect("ticket_detail", ticket_id=ticket.pk)
        form = ReplyForm()
    context = {
        "conversation": selectors.message_list_for(user=request.user, ticket=ticket),
        "reply_form": form,
        **_sla_context(request.user, ticket),
    }
    template = "tickets/ticket_detail.html"
    if request.method == "POST" and _wants_partial(request):
        return _render_sections(
            request, template, context, "conversation", ("reply_form", "ticket_header")
        )
    return render(request, template, context)


# --- agent workspace -------------------------------------------------------------------


def _filtered(qs: QuerySet[Ticket], f: dict[str, str], user: User) -> QuerySet[Ticket]:
    """Every filter but the status one, which the tabs count separately."""
    if f["q"]:
        qs = qs.filter(subject__icontains=f["q"])
    if f["kind"]:
        qs = qs.filter(kind=f["kind"])
    if f["queue"]:
        qs = qs.filter(queue__slug=f["queue"])
    if f["priority"]:
        qs = qs.filter(priority=f["priority"])
    if f["requester"]:
        qs = qs.filter(requester__username=f["requester"])
    if f["assignee"] == "me":
        qs = qs.filter(assignee=user)
    elif f["assignee"] == "unassigned":
        qs = qs.filter(assignee__isnull=True)
    return qs


def _with_status(qs: QuerySet[Ticket], status: str) -> QuerySet[Ticket]:
    if status == "active":
        return qs.filter(status__in=selectors.ACTIVE_STATUSES)
    if status == "all":
        return qs
    return qs.filter(status=status)


@agent_required
def agent_queue(request: HttpRequest) -> HttpResponse:
    queues = list(Queue.objects.all())
    form = QueueFilterForm(request.GET, queues=queues)
    f = form.values()
    visible = _filtered(selectors.ticket_visible_to(request.user), f, request.user)
    # Closed tickets pile up forever and no tab counts them: keep them out of the scan.
    counts = selectors.queue_counts(visible.filter(status__in=COUNTED_STATUSES))
    counts["active"] = counts["open"] + counts["pending"]
    # Pick the page's ids from the ticket table alone, then join the names for those rows
    # only: the database sorts narrow rows and never joins the whole queue.
    ordered = selectors.ticket_order_by_due(_with_status(visible, f["status"]).select_related(None))
    paginator = Paginator(ordered.values("pk"), AGENT_QUEUE_PAGE_SIZE)
    if f["status"] in counts:
        paginator.count = counts[f["status"]]  # known already: spare the COUNT(*)
    page = paginator.get_page(request.GET.get("page"))
    page.object_list = selectors.ticket_order_by_due(
        Ticket.objects.filter(pk__in=page.object_list)
        .select_related("queue", "requester", "assignee")
        .only(*QUEUE_ROW_FIELDS)
    )

    kept = {k: v for k, v in f.items() if v and k != "status"}
    tabs = [
        {
            "key": key,
            "label": label,
            "count": counts.get(key),
            "query": urlencode({**kept, "status": key}),
        }
        for key, label in form.fields["status"].choices
    ]
    context = {
        "form": form,
        "filters": f,
        "tabs": tabs,
        "counts": counts,
        "page": page,
        "query": urlencode({**kept, "status": f["status"]}),
        "unassigned_query": urlencode({**kept, "status": "active", "assignee": "unassigned"}),
        "filtered": any(f[k] for k in ("q", "kind", "queue", "priority", "assignee", "requester")),
    }
    if _wants_partial(request):
        return _render_sections(request, "tickets/agent_queue.html", context, "queue")
    response = render(request, "tickets/agent_queue.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _update_form(ticket: Ticket, posted: dict | None = None) -> TicketUpdateForm:
    """The side panel's form: the ticket's current values, overlaid with what was posted.

    htmx posts only the select that changed, so the others keep their current values
    rather than what a stale page showed.
    """
    current = {
        "status": ticket.status,
        "priority": ticket.priority,
        "assignee": str(ticket.assignee_id or ""),
        "queue": ticket.queue.slug if ticket.queue else "",
    }
    data = {**current, **{k: v for k, v in (posted or {}).items() if k in current}}
    return TicketUpdateForm(
        data,
        agents=_agents(),
        queues=list(Queue.objects.all()),
        hx_url=reverse("agent_ticket_update", args=[ticket.pk]),
    )


def _latest_clocks(ticket: Ticket) -> list:
    """The latest cycle of each of the ticket's SLA clocks, in the table's order (one query)."""
    latest = {clock.metric: clock for clock in ticket.clocks.order_by("started_at", "id")}
    order = list(METRIC_LABELS)
    return sorted(
        latest.values(),
        key=lambda c: order.index(c.metric) if c.metric in order else len(order),
    )


def _sla_context(user: User, ticket: Ticket) -> dict:
    """Agents see every clock worded for action; the requester sees the promise made."""
    clocks = _latest_clocks(ticket)
    now = timezone.now()
    if not user.is_agent:
        promise = customer_promise([(c.metric, c.state, c.due_at) for c in clocks], now)
        return {"ticket": ticket, "promise": promise}
    views = [
        clock_view(
            metric=c.metric,
            state=c.state,
            breached=c.breached,
            due_at=c.due_at,
            warn_at=c.warn_at,
            stopped_at=c.stopped_at,
            breached_at=c.breached_at,
            now=now,
        )
        for c in clocks
    ]
    return {"ticket": ticket, "clocks": views}


@login_required
@require_http_methods(["GET"])
def ticket_sla(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """The SLA section of a ticket page; the page polls it so times stay true."""
    ticket = selectors.ticket_get_for(user=request.user, ticket_id=ticket_id)
    return render(request, "tickets/_sla.html", _sla_context(request.user, ticket))


def _agent_ticket_context(
    request: HttpRequest,
    ticket: Ticket,
    *,
    reply_form: ReplyForm | None = None,
    update_form: TicketUpdateForm | None = None,
) -> dict:
    other_tickets = (
        Ticket.objects.filter(requester_id=ticket.requester_id).exclude(pk=ticket.pk).count()
    )
    return {
        "ticket": ticket,
        "conversation": selectors.message_list_for(user=request.user, ticket=ticket),
        "reply_form": ReplyForm() if reply_form is None else reply_form,
        "update_form": _update_form(ticket) if update_form is None else update_form,
        "other_tickets": other_tickets,
        **_sla_context(request.user, ticket),
    }


@agent_required
@require_http_methods(["GET", "POST"])
def agent_ticket(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """The ticket with its whole conversation; a POST adds a reply or an internal note."""
    ticket = selectors.ticket_get_for(user=request.user, ticket_id=ticket_id)
    if request.method == "GET" and not _wants_partial(request):
        audit.ticket_view_record(
            user=request.user, ticket_id=ticket.pk, page=audit.Page.AGENT_TICKET, now=timezone.now()
        )
    form = ReplyForm(request.POST or None)
    if request.method == "POST" and _add_reply(request, ticket, form):
        if not _wants_partial(request):
            return redirect("agent_ticket", ticket_id=ticket.pk)
        form = ReplyForm()
    context = _agent_ticket_context(request, ticket, reply_form=form)
    template = "tickets/agent_ticket.html"
    if request.method == "POST" and _wants_partial(request):
        # Not the properties: a reply never changes them, and replacing the selects while
        # the agent picks a status would lose the pick (the request of a removed element).
        return _render_sections(
            request,
            template,
            context,
            "conversation",
            ("reply_form", "ticket_header", "sla", "ticket_details"),
        )
    return render(request, template, context)


@agent_required
@require_POST
def agent_ticket_update(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """Status, priority, assignee and queue from the side panel; only posted fields change."""
    ticket = selectors.ticket_get_for(user=request.user, ticket_id=ticket_id)
    form = _update_form(ticket, request.POST.dict())
    saved = False
    if form.is_valid():
        try:
            services.ticket_update(
                ticket=ticket, actor=request.user, now=timezone.now(), **form.changes()
            )
            saved = True
        except (services.TicketError, PermissionError) as exc:
            form.add_error(None, str(exc))
    if saved:
        messages.success(request, f"Ticket {ticket.reference} updated.")
        if not _wants_partial(request):
            return redirect("agent_ticket", ticket_id=ticket.pk)
    context = _agent_ticket_context(request, ticket, update_form=None if saved else form)
    template = "tickets/agent_ticket.html"
    if _wants_partial(request):
        if not saved:
            return _render_sections(request, template, context, "properties")
        # Saved: the selects already show what was chosen and stay in place, so a second
        # pick right after the first is not lost; only the assignee field is redrawn when
        # it changed, for its "Assign to me" button.
        changed = ("assignee_field",) if "assignee" in request.POST else ()
        return _render_sections(
            request,
            template,
            context,
            None,
            ("conversation", "ticket_header", "sla", "ticket_details", *changed),
        )
    return render(request, template, context)


@agent_required
@require_http_methods(["POST"])
def agent_reply_check(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """The reply-quality verdict on the draft being typed (htmx, debounced); sends nothing."""
    ticket = selectors.ticket_get_for(user=request.user, ticket_id=ticket_id)
    form = ReplyForm(request.POST)
    verdict = None
    if form.is_valid() and len(form.cleaned_data["body"].split()) >= 3:
        verdict = services.reply_check(
            ticket=ticket, body=form.cleaned_data["body"], now=timezone.now()
        )
    return render(request, "tickets/_reply_check.html", {"verdict": verdict})


@login_required
@require_http_methods(["POST"])
def ticket_not_answered(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """The requester's "This did not answer my question" on one agent reply."""
    ticket = selectors.ticket_get_for(user=request.user, ticket_id=ticket_id)
    if request.user.pk != ticket.requester_id:
        raise Http404("No such ticket.")
    raw = request.POST.get("message", "")
    message = None
    if raw.isdigit() and len(raw) < 19:
        message = ticket.messages.filter(pk=int(raw)).first()
    try:
        services.ticket_not_answered(
            ticket=ticket, requester=request.user, message=message, now=timezone.now()
        )
    except services.TicketError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            "Thank you for telling us. Your question is back with the team, and the time "
            "we promised for an answer still counts from when you first asked.",
        )
    return redirect("ticket_detail", ticket_id=ticket.pk)
