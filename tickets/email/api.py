"""POST /api/v1/inbound/email/: a mail gateway hands us one raw RFC 822 message.

Authenticated by a shared secret (`Authorization: Bearer <INBOUND_EMAIL_SECRET>`), compared in
constant time; no session or token auth, no CSRF. The body is the message itself
(`Content-Type: message/rfc822`); the answer is 202 with what became of it.
"""

import hmac

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, PolymorphicProxySerializer, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.parsers import BaseParser
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from ..serializers import ErrorSerializer
from .intake import email_ingest

AUTH_MARK = "inbound-email-secret"


class NotConfigured(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "inbound e-mail is not configured"
    default_code = "not_configured"


class TooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The message is larger than INBOUND_EMAIL_MAX_BYTES."
    default_code = "too_large"


class InboundSecretAuthentication(BaseAuthentication):
    """`Authorization: Bearer <INBOUND_EMAIL_SECRET>`. No credentials: 401; credentials while
    no secret is configured: 503; a wrong secret: 401."""

    keyword = b"bearer"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None
        secret = settings.INBOUND_EMAIL_SECRET
        if not secret:
            raise NotConfigured()
        given = parts[1] if len(parts) == 2 else b""
        if not hmac.compare_digest(given, secret.encode()):
            raise exceptions.AuthenticationFailed("Invalid inbound e-mail secret.")
        return AnonymousUser(), AUTH_MARK

    def authenticate_header(self, request):
        return 'Bearer realm="inbound-email"'


class InboundSecretScheme(OpenApiAuthenticationExtension):
    target_class = InboundSecretAuthentication
    name = "inboundEmailSecret"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "The shared secret INBOUND_EMAIL_SECRET.",
        }


class HasInboundSecret(BasePermission):
    def has_permission(self, request, view):
        return request.auth == AUTH_MARK


class RawEmailParser(BaseParser):
    """The request body as bytes, at most INBOUND_EMAIL_MAX_BYTES."""

    media_type = "message/rfc822"

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.INBOUND_EMAIL_MAX_BYTES
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise TooLarge()
        return raw


class InboundAcceptedSerializer(serializers.Serializer):
    ticket = serializers.IntegerField(help_text="The ticket the message opened or joined.")
    message = serializers.IntegerField(
        allow_null=True, help_text="The ticket's new message; null when it opened the ticket."
    )
    created = serializers.BooleanField(help_text="True when the message opened a new ticket.")


class InboundIgnoredSerializer(serializers.Serializer):
    ignored = serializers.CharField(
        help_text="Why nothing was opened: auto-reply, bounce, own address, duplicate, rate "
        "limit (held for an agent) or unreadable (kept for an agent)."
    )


_RESULT = PolymorphicProxySerializer(
    component_name="InboundEmailResult",
    serializers=[InboundAcceptedSerializer, InboundIgnoredSerializer],
    resource_type_field_name=None,
)


class InboundEmailView(APIView):
    authentication_classes = [InboundSecretAuthentication]
    permission_classes = [HasInboundSecret]
    parser_classes = [RawEmailParser]
    throttle_classes = []

    @extend_schema(
        operation_id="inbound_email",
        request={"message/rfc822": OpenApiTypes.BINARY},
        responses={
            202: OpenApiResponse(_RESULT, description="Accepted: what the message became."),
            **{
                code: OpenApiResponse(ErrorSerializer, description=text)
                for code, text in (
                    (401, "No or a wrong secret."),
                    (413, "Larger than INBOUND_EMAIL_MAX_BYTES."),
                    (415, "Not message/rfc822."),
                    (503, "Inbound e-mail is not configured (no INBOUND_EMAIL_SECRET)."),
                )
            },
        },
        tags=["e-mail"],
        summary="Deliver one raw e-mail message (mail gateways)",
    )
    def post(self, request):
        content_length = request.META.get("CONTENT_LENGTH") or "0"
        if content_length.isdigit() and int(content_length) > settings.INBOUND_EMAIL_MAX_BYTES:
            raise TooLarge()
        raw = request.data
        if not isinstance(raw, bytes):
            raise exceptions.UnsupportedMediaType(request.content_type)
        result = email_ingest(raw=raw, now=timezone.now())
        if result.action in ("created", "threaded"):
            data = {
                "ticket": result.ticket_id,
                "message": result.message_id,
                "created": result.action == "created",
            }
        else:
            data = {"ignored": result.describe()}
        return Response(data, status=status.HTTP_202_ACCEPTED)
