"""REST API of data protection: the caller's export and erasure, and the managers' log of
agents' views of tickets."""

from django.contrib.auth import authenticate
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from . import audit
from .api import RETRY_AFTER, ApiView, Conflict, _locked_out, errors
from .models import Erasure, TicketView
from .permissions import IsManager
from .privacy import ErasureError, user_erase
from .serializers import MAX_ID, StrictInputMixin
from .views_privacy import export_response


class EraseSerializer(StrictInputMixin, serializers.Serializer):
    password = serializers.CharField(max_length=4096, trim_whitespace=False)


class ErasureSerializer(serializers.ModelSerializer):
    class Meta:
        model = Erasure
        fields = ["id", "user", "via", "created_at", "counts"]
        read_only_fields = fields


class TicketViewSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)

    class Meta:
        model = TicketView
        fields = ["id", "ticket", "user", "username", "viewed_at", "channel", "page"]
        read_only_fields = fields


class TicketViewQuerySerializer(serializers.Serializer):
    ticket = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    user = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    since = serializers.DateTimeField(required=False, help_text="Viewed at or after.")
    until = serializers.DateTimeField(required=False, help_text="Viewed before.")

    def validate(self, attrs):
        if attrs.get("since") and attrs.get("until") and attrs["since"] >= attrs["until"]:
            raise serializers.ValidationError({"until": ["Must be after `since`."]})
        return attrs


class MeExportView(ApiView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="me_export",
        responses={
            200: OpenApiResponse(
                OpenApiTypes.OBJECT,
                description="Everything the helpdesk holds about the caller, as one JSON "
                "document (a download): `account`, `tickets` with their public `messages`, "
                "`sla_promises`, `moderation_decisions` and `report`, `moderation_contests`, "
                "`report_decisions_on_your_content`, `report_contests`, `report_sanctions`, "
                "`report_limits`, `emails_you_sent`, `notifications`. See "
                "docs/data-protection.md.",
            ),
            **errors(401),
        },
        tags=["privacy"],
        summary="Download everything the helpdesk holds about the caller",
    )
    def get(self, request):
        return export_response(request.user, now=timezone.now())


class MeEraseView(ApiView):
    permission_classes = [IsAuthenticated]
    serializer_class = EraseSerializer

    @extend_schema(
        operation_id="me_erase",
        request=EraseSerializer,
        parameters=[RETRY_AFTER],
        responses={200: ErasureSerializer, **errors(400, 401, 403, 409, 429)},
        tags=["privacy"],
        summary="Erase the caller's account and personal data (customers)",
        description="The account is anonymised and everything its holder wrote is redacted; "
        "their open tickets are closed; statistics are kept. Agents and managers are "
        "erased by a manager in the admin (403). A wrong password is a 400 and counts "
        "towards the log-in lock-out (429).",
    )
    def post(self, request):
        if request.user.is_agent:
            raise exceptions.PermissionDenied(
                "Agents and managers cannot erase their own account here: a manager does "
                "it in the admin."
            )
        serializer = EraseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = authenticate(
            request=request,
            username=request.user.username,
            password=serializer.validated_data["password"],
        )
        if user is None or user.pk != request.user.pk:
            if getattr(request, "axes_locked_out", False):
                raise _locked_out(request)
            raise exceptions.ValidationError({"password": ["That is not your password."]})
        try:
            erasure = user_erase(user=request.user, now=timezone.now(), via=Erasure.Via.API)
        except ErasureError as exc:
            raise Conflict(str(exc)) from None
        session = getattr(request._request, "session", None)
        if session is not None:
            session.flush()
        return Response(ErasureSerializer(erasure).data)


class TicketViewListView(ApiView, generics.ListAPIView):
    serializer_class = TicketViewSerializer
    permission_classes = [IsManager]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return TicketView.objects.none()
        query = TicketViewQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        f = query.validated_data
        return audit.ticket_views(
            ticket_id=f.get("ticket"),
            user_id=f.get("user"),
            since=f.get("since"),
            until=f.get("until"),
        )

    @extend_schema(
        operation_id="audit_ticket_views_list",
        parameters=[TicketViewQuerySerializer],
        responses={200: TicketViewSerializer(many=True), **errors(400, 401, 403)},
        tags=["privacy"],
        summary="Who opened which ticket, newest first (managers)",
    )
    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)
