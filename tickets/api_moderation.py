"""REST API for products, questions, reviews and their moderation (../shared/API.md).

Extensions beyond API.md, documented in docs/moderation.md: the `convert` decision (an order
or service question becomes a support ticket rather than being rejected), resubmission,
contests, answers and the neutrality monitor.
"""

from datetime import timedelta

from django.db import IntegrityError
from django.http import Http404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, generics, serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response

from . import audit, moderation
from . import moderation_selectors as content
from .api import TICKET_ID, ApiView, Conflict, errors, ticket_id
from .models import BODY_MAX, SUBJECT_MAX, ModerationContest, ModerationDecision, Product, Ticket
from .neutrality import neutrality_report
from .permissions import IsAgent, IsCustomer, IsManager
from .serializers import (
    MessageSerializer,
    StrictInputMixin,
    TextField,
    TicketSerializer,
)

# A contest's outcome: the content is published after all, or the rejection stands.
CONTEST_OUTCOMES = [("reversed", "Publish after all"), ("upheld", "Keep the rejection")]
SKU = OpenApiParameter("sku", OpenApiTypes.STR, OpenApiParameter.PATH, description="Product SKU")
CONTEST_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="Id")


# --- serializers --------------------------------------------------------------------------


class ProductSerializer(serializers.ModelSerializer):
    review_count = serializers.IntegerField(read_only=True, default=0)
    rating_average = serializers.FloatField(read_only=True, allow_null=True, default=None)

    class Meta:
        model = Product
        fields = ["sku", "name", "description", "review_count", "rating_average"]
        read_only_fields = fields


class ProductCreateSerializer(StrictInputMixin, serializers.Serializer):
    sku = serializers.SlugField(max_length=64)
    name = TextField(max_length=200)
    description = serializers.CharField(max_length=2000, required=False, allow_blank=True)

    def validate_sku(self, value: str) -> str:
        if Product.objects.filter(sku=value).exists():
            raise serializers.ValidationError("A product with this SKU exists already.")
        return value


class AnswerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    body = serializers.CharField()
    author = serializers.CharField(source="author.display_name", allow_null=True)
    created_at = serializers.DateTimeField()


class ContentSerializer(serializers.Serializer):
    """A question or review as the public sees it (no requester account details)."""

    id = serializers.IntegerField()
    kind = serializers.CharField(help_text="`question` or `review`")
    product = serializers.CharField(source="product.sku")
    author = serializers.CharField(source="requester.display_name")
    title = serializers.CharField(source="subject")
    body = serializers.CharField()
    rating = serializers.IntegerField(allow_null=True)
    moderation = serializers.ChoiceField(choices=Ticket.Moderation.choices)
    created_at = serializers.DateTimeField()


class QuestionSerializer(ContentSerializer):
    answers = AnswerSerializer(many=True, read_only=True)


class QuestionCreateSerializer(StrictInputMixin, serializers.Serializer):
    body = TextField(max_length=BODY_MAX)


class ReviewCreateSerializer(StrictInputMixin, serializers.Serializer):
    rating = serializers.IntegerField(min_value=1, max_value=5)
    title = TextField(max_length=SUBJECT_MAX)
    body = TextField(max_length=BODY_MAX)


class ModerateSerializer(StrictInputMixin, serializers.Serializer):
    decision = serializers.ChoiceField(choices=ModerationDecision.Decision.choices)
    reason = serializers.ChoiceField(
        choices=ModerationDecision.Reason.choices, required=False, allow_blank=True
    )
    explanation = serializers.CharField(max_length=BODY_MAX, required=False, allow_blank=True)

    def validate(self, attrs):
        if attrs["decision"] == ModerationDecision.Decision.REJECT:
            errors = {}
            if not attrs.get("reason"):
                errors["reason"] = ["A rejection needs a reason from the list."]
            if not (attrs.get("explanation") or "").strip():
                errors["explanation"] = ["A rejection needs an explanation for the author."]
            if errors:
                raise serializers.ValidationError(errors)
        return attrs


class DecisionSerializer(serializers.ModelSerializer):
    moderation = serializers.ChoiceField(
        source="ticket.moderation", choices=Ticket.Moderation.choices, read_only=True
    )
    statement = serializers.SerializerMethodField()

    class Meta:
        model = ModerationDecision
        fields = [
            "id",
            "ticket",
            "decision",
            "reason",
            "explanation",
            "moderator",
            "submitted_at",
            "decided_at",
            "on_contest",
            "support_ticket",
            "moderation",
            "statement",
        ]
        read_only_fields = fields

    def get_statement(self, decision: ModerationDecision) -> str:
        return moderation.statement_of_reasons(decision)


class ResubmitSerializer(StrictInputMixin, serializers.Serializer):
    body = TextField(max_length=BODY_MAX)
    title = TextField(max_length=SUBJECT_MAX, required=False)
    rating = serializers.IntegerField(min_value=1, max_value=5, required=False)


class ModerationContestCreateSerializer(StrictInputMixin, serializers.Serializer):
    statement = TextField(max_length=BODY_MAX)


class ModerationContestSerializer(serializers.ModelSerializer):
    moderator = serializers.IntegerField(source="decision.moderator_id", read_only=True)

    class Meta:
        model = ModerationContest
        fields = [
            "id",
            "ticket",
            "decision",
            "moderator",
            "statement",
            "created_at",
            "state",
            "reviewer",
            "reviewed_at",
            "review_explanation",
        ]
        read_only_fields = fields


class ModerationContestDecideSerializer(StrictInputMixin, serializers.Serializer):
    outcome = serializers.ChoiceField(choices=CONTEST_OUTCOMES)
    explanation = TextField(max_length=BODY_MAX)


class AnswerCreateSerializer(StrictInputMixin, serializers.Serializer):
    body = TextField(max_length=BODY_MAX)


class QueueQuerySerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["question", "review"], required=False)
    product = serializers.SlugField(max_length=64, required=False)
    rating = serializers.IntegerField(min_value=1, max_value=5, required=False)


class PeriodQuerySerializer(serializers.Serializer):
    since = serializers.DateTimeField(required=False)
    until = serializers.DateTimeField(required=False)

    def validate(self, attrs):
        if attrs.get("since") and attrs.get("until") and attrs["since"] >= attrs["until"]:
            raise serializers.ValidationError({"until": ["Must be after `since`."]})
        return attrs


class GroupSerializer(serializers.Serializer):
    decisions = serializers.IntegerField()
    approved = serializers.IntegerField()
    approval_rate = serializers.FloatField(allow_null=True)
    median_seconds = serializers.FloatField(allow_null=True)


class ComparisonSerializer(serializers.Serializer):
    low = GroupSerializer(help_text="1-2 star reviews")
    high = GroupSerializer(help_text="4-5 star reviews")
    approval_gap_points = serializers.FloatField(allow_null=True)
    median_delay_ratio = serializers.FloatField(allow_null=True)
    flags = serializers.ListField(child=serializers.ChoiceField(["approval_gap", "delay_ratio"]))
    flagged = serializers.BooleanField()


class NeutralitySerializer(serializers.Serializer):
    since = serializers.DateTimeField()
    until = serializers.DateTimeField()
    overall = ComparisonSerializer()
    products = serializers.DictField(child=ComparisonSerializer())


# --- helpers ------------------------------------------------------------------------------


def _query(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.query_params)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _service(call):
    """Service errors in the contract's shape: 409 state, 403 role, 400 input."""
    try:
        return call()
    except moderation.ModerationError as exc:
        raise Conflict(str(exc)) from None
    except PermissionError as exc:
        raise exceptions.PermissionDenied(str(exc)) from None
    except ValueError as exc:
        raise exceptions.ValidationError({"detail": str(exc)}) from None


def _product_for_post(sku: str) -> Product:
    """An unknown product in a submission is bad input naming the field (400)."""
    try:
        return content.product_get(sku=sku)
    except Http404:
        raise exceptions.ValidationError({"product": ["No product with this SKU."]}) from None


def _content_ticket(request, id: str) -> Ticket:
    return content.content_get_for(user=request.user, ticket_id=ticket_id(id))


# --- products -----------------------------------------------------------------------------


class ProductListView(ApiView, generics.ListAPIView):
    serializer_class = ProductSerializer

    def get_permissions(self):
        return [IsAgent()] if self.request.method == "POST" else [AllowAny()]

    def get_queryset(self):
        return content.product_list()

    @extend_schema(
        operation_id="products_list",
        responses={200: ProductSerializer(many=True), **errors(400)},
        tags=["products"],
        summary="Products, with their published reviews' count and average (public)",
        auth=[],
    )
    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)

    @extend_schema(
        operation_id="products_create",
        request=ProductCreateSerializer,
        responses={201: ProductSerializer, **errors(400, 401, 403)},
        tags=["products"],
        summary="Add a product (agents)",
    )
    def post(self, request):
        serializer = ProductCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            product = moderation.product_create(**serializer.validated_data)
        except IntegrityError:
            raise exceptions.ValidationError(
                {"sku": ["A product with this SKU exists already."]}
            ) from None
        return Response(ProductSerializer(product).data, status=status.HTTP_201_CREATED)


class _ProductContentView(ApiView, generics.ListAPIView):
    def get_permissions(self):
        return [IsCustomer()] if self.request.method == "POST" else [AllowAny()]

    def get_product(self) -> Product:
        return content.product_get(sku=self.kwargs["sku"])


class ProductQuestionsView(_ProductContentView):
    serializer_class = QuestionSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Ticket.objects.none()
        return content.product_questions_for(product=self.get_product(), viewer=self.request.user)

    @extend_schema(
        operation_id="products_questions_list",
        parameters=[SKU],
        responses={200: QuestionSerializer(many=True), **errors(400, 404)},
        tags=["products"],
        summary="Published questions with their answers (an author also sees their pending)",
        auth=[],
    )
    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)

    @extend_schema(
        operation_id="products_questions_create",
        parameters=[SKU],
        request=QuestionCreateSerializer,
        responses={201: TicketSerializer, **errors(400, 401, 403)},
        tags=["products"],
        summary="Ask a question (customers); it waits for moderation, with its clock in `sla`",
    )
    def post(self, request, sku):
        serializer = QuestionCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        product = _product_for_post(sku)
        ticket = _service(
            lambda: moderation.question_submit(
                author=request.user,
                product=product,
                now=timezone.now(),
                **serializer.validated_data,
            )
        )
        return Response(TicketSerializer(ticket).data, status=status.HTTP_201_CREATED)


class ProductReviewsView(_ProductContentView):
    serializer_class = ContentSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Ticket.objects.none()
        return content.product_reviews_for(product=self.get_product(), viewer=self.request.user)

    @extend_schema(
        operation_id="products_reviews_list",
        parameters=[SKU],
        responses={200: ContentSerializer(many=True), **errors(400, 404)},
        tags=["products"],
        summary="Published reviews (an author also sees their own pending ones)",
        auth=[],
    )
    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)

    @extend_schema(
        operation_id="products_reviews_create",
        parameters=[SKU],
        request=ReviewCreateSerializer,
        responses={201: TicketSerializer, **errors(400, 401, 403)},
        tags=["products"],
        summary="Write a review (customers); it waits for moderation, with its clock in `sla`",
    )
    def post(self, request, sku):
        serializer = ReviewCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        product = _product_for_post(sku)
        ticket = _service(
            lambda: moderation.review_submit(
                author=request.user,
                product=product,
                now=timezone.now(),
                **serializer.validated_data,
            )
        )
        return Response(TicketSerializer(ticket).data, status=status.HTTP_201_CREATED)


# --- moderation ---------------------------------------------------------------------------


class ModerationQueueView(ApiView, generics.ListAPIView):
    serializer_class = TicketSerializer
    permission_classes = [IsAgent]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Ticket.objects.none()
        f = _query(QueueQuerySerializer, self.request)
        return (
            content.moderation_queue(**f)
            .select_related("queue", "assignee")
            .prefetch_related("clocks")
        )

    @extend_schema(
        operation_id="moderation_list",
        parameters=[QueueQuerySerializer],
        responses={200: TicketSerializer(many=True), **errors(400, 401, 403)},
        tags=["moderation"],
        summary="Pending questions and reviews, oldest first (agents)",
    )
    def get(self, request, *args, **kwargs):
        response = self.list(request, *args, **kwargs)
        audit.ticket_views_record(
            user=request.user,
            ticket_ids=[row["id"] for row in response.data["results"]],
            page=audit.Page.API_MODERATION,
            channel=audit.Channel.API,
            now=timezone.now(),
        )
        return response


class ModerateView(ApiView):
    permission_classes = [IsAgent]
    serializer_class = DecisionSerializer

    @extend_schema(
        operation_id="tickets_moderate",
        parameters=[TICKET_ID],
        request=ModerateSerializer,
        responses={200: DecisionSerializer, **errors(400, 401, 403, 404, 409)},
        tags=["moderation"],
        summary="Publish, reject (reason and explanation) or convert to a support ticket",
        description="`reject` needs a `reason` and an `explanation`. Extension: `convert` "
        "turns an order or service question into a support ticket (reason "
        "`service_question`) instead of rejecting it. The author is notified at once.",
    )
    def post(self, request, id):
        ticket = _content_ticket(request, id)
        serializer = ModerateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        decision = _service(
            lambda: moderation.content_moderate(
                ticket=ticket,
                moderator=request.user,
                now=timezone.now(),
                **serializer.validated_data,
            )
        )
        return Response(DecisionSerializer(decision).data)


class ResubmitView(ApiView):
    permission_classes = [IsAuthenticated]
    serializer_class = TicketSerializer

    @extend_schema(
        operation_id="tickets_resubmit",
        parameters=[TICKET_ID],
        request=ResubmitSerializer,
        responses={200: TicketSerializer, **errors(400, 401, 403, 404, 409)},
        tags=["moderation"],
        summary="Edit rejected content and submit it again (its author)",
    )
    def post(self, request, id):
        ticket = _content_ticket(request, id)
        serializer = ResubmitSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ticket = _service(
            lambda: moderation.content_resubmit(
                ticket=ticket, author=request.user, now=timezone.now(), **serializer.validated_data
            )
        )
        return Response(TicketSerializer(ticket).data)


class ContestCreateView(ApiView):
    permission_classes = [IsAuthenticated]
    serializer_class = ModerationContestSerializer

    @extend_schema(
        operation_id="tickets_contest",
        parameters=[TICKET_ID],
        request=ModerationContestCreateSerializer,
        responses={201: ModerationContestSerializer, **errors(400, 401, 403, 404, 409)},
        tags=["moderation"],
        summary="Contest a rejection within 6 months (its author)",
    )
    def post(self, request, id):
        ticket = _content_ticket(request, id)
        serializer = ModerationContestCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        contest = _service(
            lambda: moderation.decision_contest(
                ticket=ticket, author=request.user, now=timezone.now(), **serializer.validated_data
            )
        )
        return Response(ModerationContestSerializer(contest).data, status=status.HTTP_201_CREATED)


class AnswerView(ApiView):
    permission_classes = [IsAgent]
    serializer_class = MessageSerializer

    @extend_schema(
        operation_id="tickets_answer",
        parameters=[TICKET_ID],
        request=AnswerCreateSerializer,
        responses={201: MessageSerializer, **errors(400, 401, 403, 404, 409)},
        tags=["moderation"],
        summary="Answer a published question in public (agents); stops its answer clock",
    )
    def post(self, request, id):
        ticket = _content_ticket(request, id)
        serializer = AnswerCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        message = _service(
            lambda: moderation.question_answer(
                ticket=ticket, agent=request.user, now=timezone.now(), **serializer.validated_data
            )
        )
        return Response(MessageSerializer(message).data, status=status.HTTP_201_CREATED)


class ContestListView(ApiView, generics.ListAPIView):
    serializer_class = ModerationContestSerializer
    permission_classes = [IsAgent]

    def get_queryset(self):
        return content.contests_open()

    @extend_schema(
        operation_id="moderation_contests_list",
        responses={200: ModerationContestSerializer(many=True), **errors(400, 401, 403)},
        tags=["moderation"],
        summary="Open contests, oldest first (agents)",
    )
    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)


class ContestDecideView(ApiView):
    permission_classes = [IsAgent]
    serializer_class = ModerationContestSerializer

    @extend_schema(
        operation_id="moderation_contests_decide",
        parameters=[CONTEST_ID],
        request=ModerationContestDecideSerializer,
        responses={200: ModerationContestSerializer, **errors(400, 401, 403, 404, 409)},
        tags=["moderation"],
        summary="Decide a contest (another moderator than the one who rejected)",
    )
    def post(self, request, id):
        try:
            contest = ModerationContest.objects.get(pk=ticket_id(id))
        except ModerationContest.DoesNotExist:
            raise Http404("No such contest.") from None
        serializer = ModerationContestDecideSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        contest = _service(
            lambda: moderation.contest_decide(
                contest=contest,
                reviewer=request.user,
                reverse_decision=data["outcome"] == "reversed",
                explanation=data["explanation"],
                now=timezone.now(),
            )
        )
        return Response(ModerationContestSerializer(contest).data)


NEUTRALITY_DEFAULT_DAYS = 30


class NeutralityView(ApiView):
    permission_classes = [IsManager]
    serializer_class = NeutralitySerializer

    @extend_schema(
        operation_id="moderation_neutrality",
        parameters=[PeriodQuerySerializer],
        responses={200: NeutralitySerializer, **errors(400, 401, 403)},
        tags=["moderation"],
        summary="Approval rate and median time to decision, 1-2 vs 4-5 stars (managers)",
        description="Over decisions taken in [since, until) (default: the last 30 days). "
        "A comparison is flagged when approval rates differ by more than 5 percentage points "
        "or one group's median delay exceeds 1.5 times the other's.",
    )
    def get(self, request):
        period = _query(PeriodQuerySerializer, request)
        until = period.get("until") or timezone.now()
        since = period.get("since") or until - timedelta(days=NEUTRALITY_DEFAULT_DAYS)
        if since >= until:
            raise exceptions.ValidationError({"since": ["Must be before `until`."]})
        return Response(NeutralitySerializer(neutrality_report(since=since, until=until)).data)
