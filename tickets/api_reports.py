"""REST API for abuse reports (../shared/API.md, "Abuse reports"), plus the extensions:
batch, limit, contests and the transparency figures. Refusals always say why: 429 with the
limit, what is left and when it resets; 403 with the suspension's reason and end."""

from datetime import timedelta

from django.http import Http404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from . import report_selectors as selectors
from . import reports
from .api import RETRY_AFTER, TICKET_ID, ApiView, Conflict, errors, ticket_id
from .models import BODY_MAX, REASONS, Message, Report, ReportContest, ReportDecision, Ticket
from .permissions import IsAgent, IsCustomer
from .serializers import MAX_ID, ErrorSerializer, StrictInputMixin, TextField

EVIDENCE_MAX = 10


# --- serializers ------------------------------------------------------------------------


class ReportCreateSerializer(StrictInputMixin, serializers.Serializer):
    target_url = serializers.URLField(max_length=2000)
    reason = serializers.ChoiceField(choices=REASONS)
    explanation = TextField(max_length=BODY_MAX)
    evidence_links = serializers.ListField(
        child=serializers.URLField(max_length=2000), max_length=EVIDENCE_MAX, required=False
    )
    good_faith = serializers.BooleanField(
        required=False,
        default=False,
        help_text="The reporter confirms the report is accurate and made in good faith.",
    )
    seller = serializers.CharField(max_length=200, required=False, allow_blank=True)
    content = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, help_text="Id of a reported question/review."
    )


class ReportBatchSerializer(StrictInputMixin, serializers.Serializer):
    target_urls = serializers.ListField(
        child=serializers.URLField(max_length=2000),
        min_length=1,
        max_length=reports.BATCH_MAX,
        help_text=f"1 to {reports.BATCH_MAX} URLs, each becomes one report.",
    )
    reason = serializers.ChoiceField(choices=REASONS)
    explanation = TextField(max_length=BODY_MAX)
    evidence_links = serializers.ListField(
        child=serializers.URLField(max_length=2000), max_length=EVIDENCE_MAX, required=False
    )
    good_faith = serializers.BooleanField(required=False, default=False)


class ReportSerializer(serializers.Serializer):
    """A ticket of kind report, with its decision once there is one."""

    id = serializers.IntegerField(source="ticket_id")
    kind = serializers.CharField(source="ticket.kind")
    status = serializers.ChoiceField(source="ticket.status", choices=Ticket.Status.choices)
    priority = serializers.ChoiceField(source="ticket.priority", choices=Ticket.Priority.choices)
    target_url = serializers.CharField(source="ticket.target_url")
    reason = serializers.CharField(source="ticket.reason")
    explanation = serializers.CharField(source="ticket.body")
    evidence_links = serializers.ListField(child=serializers.CharField())
    good_faith = serializers.BooleanField()
    case = serializers.IntegerField(source="case_id")
    lane = serializers.ChoiceField(choices=Report.Lane.choices)
    held = serializers.BooleanField(help_text="Queued during maintenance, not yet handled.")
    created_at = serializers.DateTimeField()
    decision_due_at = serializers.DateTimeField(source="ticket.sla_due_at", allow_null=True)
    outcome = serializers.ChoiceField(
        source="ticket.outcome", choices=Ticket.Outcome.choices, allow_null=True
    )
    statement = serializers.CharField(source="decision.statement", allow_null=True, default=None)
    decision = serializers.IntegerField(source="decision_id", allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)


class LimitExceededSerializer(serializers.Serializer):
    detail = serializers.CharField()
    limit = serializers.IntegerField()
    remaining = serializers.IntegerField()
    window_seconds = serializers.IntegerField()
    resets_at = serializers.DateTimeField()


class SuspendedSerializer(serializers.Serializer):
    # `reason` and `until` when suspended for misuse; `detail` alone for a caller who is not
    # a customer.
    detail = serializers.CharField()
    reason = serializers.CharField(required=False)
    until = serializers.DateTimeField(required=False)


class ReporterStatusSerializer(serializers.Serializer):
    limit = serializers.IntegerField(source="limit.limit")
    used = serializers.IntegerField(source="limit.used")
    remaining = serializers.IntegerField(source="limit.remaining")
    window_seconds = serializers.IntegerField(source="limit.window_seconds")
    resets_at = serializers.DateTimeField(source="limit.resets_at", allow_null=True)
    suspended_until = serializers.DateTimeField(allow_null=True)
    suspension_reason = serializers.CharField()
    trusted_flagger = serializers.BooleanField()
    maintenance = serializers.BooleanField()
    maintenance_message = serializers.CharField()


class DecideSerializer(StrictInputMixin, serializers.Serializer):
    outcome = serializers.ChoiceField(choices=Ticket.Outcome.choices)
    statement = TextField(max_length=BODY_MAX, help_text="The facts and reasons of the decision.")
    rule = serializers.CharField(max_length=300, required=False, allow_blank=True)
    automated = serializers.BooleanField(required=False, default=False)
    manifestly_unfounded = serializers.BooleanField(required=False, default=False)

    def validate(self, attrs):
        if attrs.get("manifestly_unfounded") and attrs["outcome"] != "rejected":
            raise serializers.ValidationError(
                {"manifestly_unfounded": ["Only a rejected report can be manifestly unfounded."]}
            )
        return attrs


class ReportDecisionSerializer(serializers.ModelSerializer):
    reports = serializers.SerializerMethodField()

    class Meta:
        model = ReportDecision
        fields = [
            "id",
            "case",
            "agent",
            "outcome",
            "facts",
            "rule",
            "automated",
            "manifestly_unfounded",
            "statement",
            "decided_at",
            "reverses",
            "reports",
        ]
        read_only_fields = fields

    def get_reports(self, decision: ReportDecision) -> list[int]:
        return sorted(decision.reports.values_list("ticket_id", flat=True))


class ReportContestCreateSerializer(StrictInputMixin, serializers.Serializer):
    explanation = TextField(max_length=BODY_MAX)


class ReportContestDecideSerializer(StrictInputMixin, serializers.Serializer):
    outcome = serializers.ChoiceField(choices=ReportContest.Outcome.choices)
    reply = TextField(max_length=BODY_MAX)


class ReportContestSerializer(serializers.ModelSerializer):
    class Meta:
        model = ReportContest
        fields = [
            "id",
            "decision",
            "sanction",
            "by",
            "explanation",
            "created_at",
            "reviewer",
            "outcome",
            "reply",
            "decided_at",
        ]
        read_only_fields = fields


class SuspensionFigureSerializer(serializers.Serializer):
    reason = serializers.CharField()
    created_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField(allow_null=True)


class FiguresSerializer(serializers.Serializer):
    since = serializers.DateTimeField()
    until = serializers.DateTimeField()
    received = serializers.IntegerField()
    by_reason = serializers.DictField(child=serializers.IntegerField())
    decided = serializers.IntegerField()
    upheld = serializers.IntegerField()
    share_upheld = serializers.FloatField(allow_null=True)
    median_seconds_to_decision = serializers.FloatField(allow_null=True)
    automated_decisions = serializers.IntegerField()
    warnings = serializers.IntegerField()
    suspensions = serializers.IntegerField()
    suspension_reasons = SuspensionFigureSerializer(many=True)
    appeals = serializers.IntegerField()
    appeals_decided = serializers.IntegerField()
    reversals = serializers.IntegerField()


class FiguresQuerySerializer(StrictInputMixin, serializers.Serializer):
    since = serializers.DateTimeField(required=False)
    until = serializers.DateTimeField(required=False)


# --- refusals -----------------------------------------------------------------------------


_REFUSALS = {
    403: OpenApiResponse(
        SuspendedSerializer,
        description="Not a customer; or reporting suspended for misuse, after a warning "
        "(with `reason` and `until`).",
    ),
    429: OpenApiResponse(
        LimitExceededSerializer, description="Over the hourly limit; `Retry-After` in seconds."
    ),
}


def _refusal(exc: reports.ReportRefused) -> Response:
    if isinstance(exc, reports.ReportingSuspended):
        body = {"detail": str(exc), "reason": exc.reason, "until": exc.until}
        return Response(SuspendedSerializer(body).data, status=status.HTTP_403_FORBIDDEN)
    state = exc.state
    body = {
        "detail": str(exc),
        "limit": state.limit,
        "remaining": state.remaining,
        "window_seconds": state.window_seconds,
        "resets_at": state.resets_at or exc.now,
    }
    return Response(
        LimitExceededSerializer(body).data,
        status=status.HTTP_429_TOO_MANY_REQUESTS,
        headers={"Retry-After": str(state.retry_after(exc.now))},
    )


def _submit(request, items: list[reports.ReportInput], good_faith: bool):
    try:
        return reports.report_batch_submit(
            reporter=request.user,
            items=items,
            good_faith=good_faith,
            now=timezone.now(),
            channel=Message.Channel.API,
        )
    except reports.ReportRefused as exc:
        return _refusal(exc)
    except ValueError as exc:
        raise exceptions.ValidationError({"content": [str(exc)]}) from None


def _reports_data(tickets: list[Ticket]) -> list[dict]:
    rows = Report.objects.select_related("ticket", "decision").filter(
        pk__in=[t.pk for t in tickets]
    )
    return ReportSerializer(sorted(rows, key=lambda r: r.pk), many=True).data


# --- views --------------------------------------------------------------------------------


class ReportListView(ApiView, generics.ListAPIView):
    serializer_class = ReportSerializer

    def get_permissions(self):
        return [IsCustomer()] if self.request.method == "POST" else [IsAuthenticated()]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Report.objects.none()
        return selectors.reports_of(self.request.user)

    @extend_schema(
        operation_id="reports_list",
        responses={200: ReportSerializer(many=True), **errors(400, 401)},
        tags=["reports"],
        summary="The caller's own reports, with outcome and statement of reasons",
    )
    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)

    @extend_schema(
        operation_id="reports_create",
        request=ReportCreateSerializer,
        parameters=[RETRY_AFTER],
        responses={201: ReportSerializer, **errors(400, 401), **_REFUSALS},
        tags=["reports"],
        summary="Report content (customers); the receipt carries the promised decision time",
    )
    def post(self, request):
        serializer = ReportCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        good_faith = data.pop("good_faith")
        content = data.pop("content", None)
        item = reports.ReportInput(**data, content_id=content)
        result = _submit(request, [item], good_faith)
        if isinstance(result, Response):
            return result
        return Response(_reports_data(result)[0], status=status.HTTP_201_CREATED)


class ReportBatchView(ApiView):
    queryset = Report.objects.none()
    pagination_class = None  # answers with the batch's reports, as a plain list
    permission_classes = [IsCustomer]
    serializer_class = ReportBatchSerializer

    @extend_schema(
        operation_id="reports_batch_create",
        request=ReportBatchSerializer,
        parameters=[RETRY_AFTER],
        responses={201: ReportSerializer(many=True), **errors(400, 401), **_REFUSALS},
        tags=["reports"],
        summary="Report up to 50 URLs at once: all accepted, or none with the reason",
    )
    def post(self, request):
        serializer = ReportBatchSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        items = [
            reports.ReportInput(
                target_url=url,
                reason=data["reason"],
                explanation=data["explanation"],
                evidence_links=data.get("evidence_links", []),
            )
            for url in data["target_urls"]
        ]
        result = _submit(request, items, data["good_faith"])
        if isinstance(result, Response):
            return result
        return Response(_reports_data(result), status=status.HTTP_201_CREATED)


class ReportLimitView(ApiView):
    permission_classes = [IsAuthenticated]
    serializer_class = ReporterStatusSerializer

    @extend_schema(
        operation_id="reports_limit",
        responses={200: ReporterStatusSerializer, **errors(401)},
        tags=["reports"],
        summary="The caller's report limit: how many are left and when it resets",
    )
    def get(self, request):
        state = selectors.reporter_status(user=request.user, now=timezone.now())
        return Response(ReporterStatusSerializer(state).data)


class TicketDecideView(ApiView):
    permission_classes = [IsAgent]
    serializer_class = DecideSerializer

    @extend_schema(
        operation_id="tickets_decide",
        parameters=[TICKET_ID],
        request=DecideSerializer,
        responses={200: ReportDecisionSerializer, **errors(400, 401, 403, 404, 409)},
        tags=["reports"],
        summary="Decide a report's case (agents); every reporter is told at once",
    )
    def post(self, request, id):
        ticket = _ticket(id)
        serializer = DecideSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            decision = reports.report_decide(
                ticket=ticket,
                agent=request.user,
                outcome=data["outcome"],
                facts=data["statement"],
                rule=data.get("rule", ""),
                automated=data["automated"],
                manifestly_unfounded=data["manifestly_unfounded"],
                now=timezone.now(),
            )
        except reports.ReportError as exc:
            raise Conflict(str(exc)) from None
        return Response(ReportDecisionSerializer(decision).data)


def _ticket(raw: str) -> Ticket:
    try:
        return Ticket.objects.get(pk=ticket_id(raw))
    except Ticket.DoesNotExist:
        raise Http404("No such ticket.") from None


class ReportContestView(ApiView):
    permission_classes = [IsAuthenticated]
    serializer_class = ReportContestCreateSerializer

    @extend_schema(
        operation_id="reports_contest",
        parameters=[OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)],
        request=ReportContestCreateSerializer,
        responses={201: ReportContestSerializer, **errors(400, 401, 404, 409)},
        tags=["reports"],
        summary="Contest the decision on one of the caller's reports, within 6 months",
    )
    def post(self, request, id):
        report = selectors.report_get_for(user=request.user, ticket_id=ticket_id(id))
        if report.decision is None:
            raise Conflict("This report has not been decided yet.")
        serializer = ReportContestCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            contest = reports.report_contest(
                user=request.user,
                decision=report.decision,
                explanation=serializer.validated_data["explanation"],
                now=timezone.now(),
            )
        except reports.ReportError as exc:
            raise Conflict(str(exc)) from None
        return Response(ReportContestSerializer(contest).data, status=status.HTTP_201_CREATED)


class ContestDecideView(ApiView):
    permission_classes = [IsAgent]
    serializer_class = ReportContestDecideSerializer

    @extend_schema(
        operation_id="report_contests_decide",
        parameters=[OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)],
        request=ReportContestDecideSerializer,
        responses={200: ReportContestSerializer, **errors(400, 401, 403, 404, 409)},
        tags=["reports"],
        summary="Review a contest (agents other than the one who decided)",
    )
    def post(self, request, id):
        contest = selectors.contest_get(ticket_id(id))
        serializer = ReportContestDecideSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            contest = reports.report_contest_decide(
                contest=contest,
                reviewer=request.user,
                reverse_it=data["outcome"] == ReportContest.Outcome.REVERSED,
                reply=data["reply"],
                now=timezone.now(),
            )
        except reports.ReportError as exc:
            raise Conflict(str(exc)) from None
        except PermissionError as exc:
            raise exceptions.PermissionDenied(str(exc)) from None
        return Response(ReportContestSerializer(contest).data)


class ReportFiguresView(ApiView):
    permission_classes = [IsAgent]
    serializer_class = FiguresSerializer

    @extend_schema(
        operation_id="reports_figures",
        parameters=[FiguresQuerySerializer],
        responses={200: FiguresSerializer, **errors(400, 401, 403)},
        tags=["reports"],
        summary="Transparency figures for reports received in [since, until) (default 30 days)",
    )
    def get(self, request):
        query = FiguresQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        until = query.validated_data.get("until") or timezone.now()
        since = query.validated_data.get("since") or until - timedelta(days=30)
        figures = selectors.report_figures(since=since, until=until)
        return Response(FiguresSerializer(figures).data)


__all__ = ["ErrorSerializer"]
