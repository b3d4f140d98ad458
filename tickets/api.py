"""REST API v1 (see ../shared/API.md): each view parses input, calls one service or selector
and renders. JSON in and out; errors keep the shape of helpdesk.api.exception_handler.
"""

import re

from axes.helpers import get_cool_off
from django.contrib.auth import authenticate, user_logged_in
from django.db import IntegrityError
from django.http import Http404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response

from helpdesk.models import Notification, User
from helpdesk.notifications import notification_mark_read

from . import audit, selectors, services
from .filters import TicketFilter
from .models import Message, Ticket
from .permissions import (
    AgentMayChange,
    IsAgent,
    IsCustomer,
    IsManager,
    StrictTokenAuthentication,
)
from .serializers import (
    MAX_ID,
    UNSTORABLE_MESSAGE,
    ErrorSerializer,
    MessageCreateSerializer,
    MessageSerializer,
    NotAnsweredSerializer,
    ReplyCheckSerializer,
    ReplyVerdictSerializer,
    SignupSerializer,
    TicketCreateSerializer,
    TicketSerializer,
    TicketUpdateSerializer,
    TokenObtainSerializer,
    TokenSerializer,
    UserCreateSerializer,
    UserSerializer,
    is_unstorable,
    printable,
    ticket_data,
)

_ERROR_TEXT = {
    400: "Invalid input: `detail` sums it up, each invalid field (or query parameter) has its "
    "messages.",
    401: "Not authenticated.",
    403: "Not allowed for this role.",
    404: "No such object, or not visible to the caller.",
    409: "Conflicts with the ticket's state.",
    429: "Too many attempts; `Retry-After` says when to try again.",
}


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    return {code: OpenApiResponse(ErrorSerializer, description=_ERROR_TEXT[code]) for code in codes}


TICKET_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="Ticket id")
RETRY_AFTER = OpenApiParameter(
    "Retry-After",
    OpenApiTypes.INT,
    OpenApiParameter.HEADER,
    description="Seconds to wait before trying again.",
    response=[429],
)
_DIGITS = re.compile(r"[0-9]{1,19}")


def ticket_id(value: str) -> int:
    """The id in the URL: anything but a bigint-sized number cannot name a ticket (404)."""
    if not _DIGITS.fullmatch(value) or int(value) > MAX_ID:
        raise Http404("No such ticket.")
    return int(value)


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "This conflicts with the ticket's state."
    default_code = "conflict"


class BadCredentials(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "Unable to log in with the credentials provided."
    default_code = "invalid_credentials"


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 100


class ApiView(generics.GenericAPIView):
    # JSON bodies only, and no query-string value or token that the database could not compare.
    authentication_classes = [StrictTokenAuthentication, SessionAuthentication]
    parser_classes = [JSONParser]
    pagination_class = Pagination

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        bad = {
            printable(key): [UNSTORABLE_MESSAGE]
            for key, values in request.query_params.lists()
            if is_unstorable(key) or is_unstorable(values)
        }
        if bad:
            raise exceptions.ValidationError(bad)


# --- auth and users -----------------------------------------------------------------------


class SignupView(ApiView):
    authentication_classes = []
    permission_classes = [AllowAny]
    serializer_class = SignupSerializer

    @extend_schema(
        operation_id="signup",
        request=SignupSerializer,
        responses={201: UserSerializer, **errors(400)},
        tags=["auth"],
        summary="Create a customer account",
    )
    def post(self, request):
        serializer = SignupSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = _create_user(services.user_signup, **serializer.validated_data)
        return Response(UserSerializer(user).data, status=status.HTTP_201_CREATED)


def _create_user(service, **fields) -> User:
    try:
        return service(**fields)
    except IntegrityError:  # a concurrent sign-up took the name between check and insert
        raise exceptions.ValidationError(
            {"username": ["A user with that username already exists."]}
        ) from None


class TokenObtainView(ApiView):
    """Exchange a username and password for the user's API token.

    Goes through `authenticate(request=...)` so django-axes counts failures: at the limit the
    answer is a 429 with `Retry-After`, whatever the password, until the cool-off ends.
    """

    authentication_classes = []
    permission_classes = [AllowAny]
    serializer_class = TokenObtainSerializer

    @extend_schema(
        operation_id="auth_token_obtain",
        request=TokenObtainSerializer,
        parameters=[RETRY_AFTER],
        responses={200: TokenSerializer, **errors(400, 429)},
        tags=["auth"],
        summary="Obtain an API token",
    )
    def post(self, request):
        serializer = TokenObtainSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = authenticate(request=request, **serializer.validated_data)
        if user is None:
            if getattr(request, "axes_locked_out", False):
                raise _locked_out(request)
            raise BadCredentials()
        # A token log-in is a log-in: axes resets the failure count, last_login moves.
        user_logged_in.send(sender=type(user), request=request, user=user)
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


def _locked_out(request) -> exceptions.Throttled:
    cool_off = get_cool_off(request)
    wait = int(cool_off.total_seconds()) if cool_off else None
    return exceptions.Throttled(wait=wait, detail="Too many failed log-in attempts.")


class UserCreateView(ApiView):
    permission_classes = [IsManager]
    serializer_class = UserCreateSerializer

    @extend_schema(
        operation_id="users_create",
        request=UserCreateSerializer,
        responses={201: UserSerializer, **errors(400, 401, 403)},
        tags=["auth"],
        summary="Create a user with any role (managers)",
    )
    def post(self, request):
        serializer = UserCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = _create_user(services.user_create, **serializer.validated_data)
        return Response(UserSerializer(user).data, status=status.HTTP_201_CREATED)


class MeView(ApiView):
    permission_classes = [IsAuthenticated]
    serializer_class = UserSerializer

    @extend_schema(
        operation_id="me",
        responses={200: UserSerializer, **errors(400, 401)},
        tags=["auth"],
        summary="The caller",
    )
    def get(self, request):
        return Response(UserSerializer(request.user).data)


# --- tickets ------------------------------------------------------------------------------


class TicketListView(ApiView, generics.ListAPIView):
    serializer_class = TicketSerializer
    filterset_class = TicketFilter

    def get_permissions(self):
        if self.request.method == "POST":
            return [IsCustomer()]
        return [IsAuthenticated()]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Ticket.objects.none()
        return selectors.ticket_visible_to(self.request.user)

    def list(self, request, *args, **kwargs):
        """Rows, not model instances, and one query for the page's clocks."""
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(selectors.ticket_rows_for_api(queryset))
        clocks = selectors.clocks_for_api([row["id"] for row in page])
        zone = timezone.get_current_timezone()
        return self.get_paginated_response(
            [ticket_data(row, clocks[row["id"]], zone) for row in page]
        )

    @extend_schema(
        operation_id="tickets_list",
        responses={200: TicketSerializer(many=True), **errors(400, 401, 404)},
        tags=["tickets"],
        summary="Tickets: a customer's own, or all for agents",
    )
    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)

    @extend_schema(
        operation_id="tickets_create",
        request=TicketCreateSerializer,
        responses={201: TicketSerializer, **errors(400, 401, 403)},
        tags=["tickets"],
        summary="Open a support ticket (customers)",
    )
    def post(self, request):
        serializer = TicketCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ticket = services.ticket_create(
            requester=request.user,
            now=timezone.now(),
            channel=Message.Channel.API,
            **serializer.validated_data,
        )
        return Response(TicketSerializer(ticket).data, status=status.HTTP_201_CREATED)


class TicketDetailView(ApiView):
    serializer_class = TicketSerializer
    permission_classes = [IsAuthenticated, AgentMayChange]

    def get_object(self) -> Ticket:
        ticket = selectors.ticket_get_for(
            user=self.request.user, ticket_id=ticket_id(self.kwargs["id"])
        )
        self.check_object_permissions(self.request, ticket)
        return ticket

    @extend_schema(
        operation_id="tickets_retrieve",
        parameters=[TICKET_ID],
        responses={200: TicketSerializer, **errors(400, 401, 404)},
        tags=["tickets"],
        summary="One ticket",
    )
    def get(self, request, id):
        ticket = self.get_object()
        audit.ticket_view_record(
            user=request.user,
            ticket_id=ticket.pk,
            page=audit.Page.API_TICKET,
            channel=audit.Channel.API,
            now=timezone.now(),
        )
        return Response(TicketSerializer(ticket).data)

    @extend_schema(
        operation_id="tickets_update",
        parameters=[TICKET_ID],
        request=TicketUpdateSerializer,
        responses={200: TicketSerializer, **errors(400, 401, 403, 404, 409)},
        tags=["tickets"],
        summary="Change status, priority, assignee or queue (agents)",
    )
    def patch(self, request, id):
        ticket = self.get_object()
        serializer = TicketUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        if "assignee" in changes and changes["assignee"] is None:
            del changes["assignee"]
            changes["unassign"] = True
        if "queue" in changes and changes["queue"] is None:
            del changes["queue"]
            changes["clear_queue"] = True
        try:
            ticket = services.ticket_update(
                ticket=ticket, actor=request.user, now=timezone.now(), **changes
            )
        except services.TicketError as exc:
            raise Conflict(str(exc)) from None
        return Response(TicketSerializer(ticket).data)


class TicketMessagesView(ApiView, generics.ListAPIView):
    serializer_class = MessageSerializer
    permission_classes = [IsAuthenticated]

    def get_ticket(self) -> Ticket:
        return selectors.ticket_get_for(
            user=self.request.user, ticket_id=ticket_id(self.kwargs["id"])
        )

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Message.objects.none()
        return selectors.message_list_for(user=self.request.user, ticket=self.get_ticket())

    @extend_schema(
        operation_id="tickets_messages_list",
        parameters=[TICKET_ID],
        responses={200: MessageSerializer(many=True), **errors(400, 401, 404)},
        tags=["tickets"],
        summary="A ticket's conversation (customers see public messages only)",
    )
    def get(self, request, *args, **kwargs):
        response = self.list(request, *args, **kwargs)
        audit.ticket_view_record(
            user=request.user,
            ticket_id=ticket_id(self.kwargs["id"]),
            page=audit.Page.API_MESSAGES,
            channel=audit.Channel.API,
            now=timezone.now(),
        )
        return response

    @extend_schema(
        operation_id="tickets_messages_create",
        parameters=[TICKET_ID],
        request=MessageCreateSerializer,
        responses={201: MessageSerializer, **errors(400, 401, 403, 404, 409)},
        tags=["tickets"],
        summary="Reply, or (agents) add an internal note",
    )
    def post(self, request, id):
        ticket = self.get_ticket()
        serializer = MessageCreateSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        try:
            message = services.ticket_reply_add(
                ticket=ticket,
                author=request.user,
                now=timezone.now(),
                channel=Message.Channel.API,
                **serializer.validated_data,
            )
        except services.TicketError as exc:
            raise Conflict(str(exc)) from None
        except PermissionError as exc:
            raise exceptions.PermissionDenied(str(exc)) from None
        return Response(
            MessageSerializer(message, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


class TicketNotAnsweredView(ApiView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="tickets_not_answered",
        parameters=[TICKET_ID],
        request=NotAnsweredSerializer,
        responses={200: TicketSerializer, **errors(400, 401, 403, 404, 409)},
        tags=["tickets"],
        summary="The requester says an agent's reply did not answer the question",
    )
    def post(self, request, id):
        ticket = selectors.ticket_get_for(user=request.user, ticket_id=ticket_id(id))
        if request.user.pk != ticket.requester_id:
            raise exceptions.PermissionDenied("Only the requester can say this.")
        serializer = NotAnsweredSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        message = None
        if "message" in serializer.validated_data:
            message = ticket.messages.filter(pk=serializer.validated_data["message"]).first()
            if message is None:
                raise exceptions.ValidationError({"message": ["No such message on this ticket."]})
        try:
            ticket = services.ticket_not_answered(
                ticket=ticket,
                requester=request.user,
                message=message,
                comment=serializer.validated_data["comment"],
                now=timezone.now(),
            )
        except services.TicketError as exc:
            raise Conflict(str(exc)) from None
        return Response(TicketSerializer(ticket).data)


class ReplyCheckView(ApiView):
    permission_classes = [IsAgent]

    @extend_schema(
        operation_id="replies_check",
        request=ReplyCheckSerializer,
        responses={200: ReplyVerdictSerializer, **errors(400, 401, 403, 404)},
        tags=["tickets"],
        summary="Would this reply be judged generic? Nothing is sent.",
    )
    def post(self, request):
        serializer = ReplyCheckSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ticket = selectors.ticket_get_for(
            user=request.user, ticket_id=serializer.validated_data["ticket"]
        )
        verdict = services.reply_check(
            ticket=ticket, body=serializer.validated_data["body"], now=timezone.now()
        )
        return Response(
            {
                "generic": verdict.generic,
                "score": round(verdict.score, 3),
                "reasons": verdict.reasons,
            }
        )


# --- notifications --------------------------------------------------------------------------


class NotificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "kind", "ticket", "text", "url", "created_at", "read_at"]
        read_only_fields = fields


class NotificationListView(ApiView, generics.ListAPIView):
    serializer_class = NotificationSerializer
    permission_classes = [IsAuthenticated]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Notification.objects.none()
        return Notification.objects.filter(user=self.request.user).order_by("-created_at", "-id")

    @extend_schema(
        operation_id="notifications_list",
        responses={200: NotificationSerializer(many=True), **errors(400, 401)},
        tags=["notifications"],
        summary="The caller's in-app notifications, newest first",
    )
    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)


class NotificationReadView(ApiView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="notifications_read",
        request=None,
        parameters=[
            OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="Id")
        ],
        responses={200: NotificationSerializer, **errors(401, 404)},
        tags=["notifications"],
        summary="Mark one of the caller's notifications read",
    )
    def post(self, request, id: str):
        try:
            notification = notification_mark_read(
                user=request.user, notification_id=ticket_id(id), now=timezone.now()
            )
        except Notification.DoesNotExist:
            raise Http404("No such notification.") from None
        return Response(NotificationSerializer(notification).data)
