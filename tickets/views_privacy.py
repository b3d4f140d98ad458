"""Pages of data protection: "Your data" (download, erasure) and the managers' audit log of
agents' views of tickets."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from helpdesk.models import Notification, User

from . import audit
from .forms_privacy import AuditFilterForm, EraseForm
from .models import Erasure, Ticket
from .privacy import user_erase
from .privacy_selectors import user_export
from .views import _render_sections, _wants_partial, manager_required

AUDIT_PAGE_SIZE = 50


def export_response(user: User, *, now) -> StreamingHttpResponse:
    """The export as a download named with the day, in the viewer's time zone."""
    response = StreamingHttpResponse(
        user_export(user=user, now=now), content_type="application/json; charset=utf-8"
    )
    day = timezone.localdate(now)
    response["Content-Disposition"] = f'attachment; filename="helpdesk-data-{day:%Y-%m-%d}.json"'
    response["Cache-Control"] = "no-store"
    return response


def _my_data_context(request: HttpRequest, form: EraseForm | None = None) -> dict:
    user = request.user
    by_kind = Ticket.objects.filter(requester=user).aggregate(
        total=Count("id"), **{kind: Count("id", filter=Q(kind=kind)) for kind in Ticket.Kind.values}
    )
    return {
        "by_kind": [(label, by_kind[value]) for value, label in Ticket.Kind.choices],
        "ticket_count": by_kind["total"],
        "notification_count": Notification.objects.filter(user=user).count(),
        "form": form if form is not None else EraseForm(request=request),
        "can_erase": not user.is_agent,
    }


@login_required
@require_GET
def my_data(request: HttpRequest) -> HttpResponse:
    return render(request, "privacy/my_data.html", _my_data_context(request))


@login_required
@require_GET
def my_data_export(request: HttpRequest) -> StreamingHttpResponse:
    return export_response(request.user, now=timezone.now())


@login_required
@require_http_methods(["POST"])
def my_data_erase(request: HttpRequest) -> HttpResponse:
    if request.user.is_agent:
        raise Http404("Agents' and managers' accounts are erased by a manager in the admin.")
    form = EraseForm(request.POST, request=request)
    if not form.is_valid():
        context = _my_data_context(request, form)
        return render(request, "privacy/my_data.html", context, status=400)
    user_erase(user=request.user, now=timezone.now(), via=Erasure.Via.WEB)
    logout(request)
    messages.success(
        request,
        "Your account and the personal data in it have been erased. Thank you for having "
        "been with us.",
    )
    return redirect("login")


# --- the managers' audit log ---------------------------------------------------------------


def _agents() -> list[User]:
    staff = Q(role__in=[User.Role.AGENT, User.Role.MANAGER]) | Q(is_superuser=True)
    return list(
        User.objects.filter(staff).only(*("username", "first_name", "last_name"))
        .order_by("first_name", "username")
    )  # fmt: skip


@manager_required
@require_GET
def audit_log(request: HttpRequest) -> HttpResponse:
    """Who opened which ticket, when and how; filtered by agent, ticket and days."""
    form = AuditFilterForm(request.GET or None, agents=_agents())
    filters = form.values()
    page = Paginator(audit.ticket_views(**filters), AUDIT_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    kept = {k: v for k, v in (form.data.items() if form.is_bound else []) if v and k != "page"}
    context = {
        "form": form,
        "page": page,
        "query": urlencode(kept),
        "filtered": bool(kept),
    }
    if _wants_partial(request):
        return _render_sections(request, "privacy/audit.html", context, "log")
    return render(request, "privacy/audit.html", context)
