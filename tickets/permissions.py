"""Who may call what: roles come from `User.role`; a superuser counts as a manager."""

import re

from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import SAFE_METHODS, BasePermission

from helpdesk.models import User

_TOKEN_KEY = re.compile(r"[0-9A-Za-z]{1,40}")


class StrictTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <key>`, where a key that no token can have is refused unread.

    DRF looks any key up as given: one with a NUL byte makes PostgreSQL fail the query (a
    500 instead of a 401). Keys are 40 hexadecimal characters.
    """

    def authenticate_credentials(self, key):
        """DRF's lookup and checks, as one raw query: every API request makes it, and
        compiling the ORM's select_related query cost twice as much as running it."""
        if not _TOKEN_KEY.fullmatch(key):
            raise AuthenticationFailed("Invalid token.")
        users = User.objects.raw(_USER_BY_TOKEN, [key])
        user = next(iter(users), None)
        if user is None:
            raise AuthenticationFailed("Invalid token.")
        if not user.is_active:
            raise AuthenticationFailed("User inactive or deleted.")
        return user, Token(key=key, user=user, created=user.token_created)


_USER_BY_TOKEN = (
    f"SELECT u.*, t.created AS token_created FROM {User._meta.db_table} u "
    f"JOIN {Token._meta.db_table} t ON t.user_id = u.id WHERE t.key = %s"
)


# The same "tokenAuth" scheme as TokenAuthentication's in the schema, on purpose: views that
# still use the plain class (the settings default) describe the same header.
class IsCustomer(BasePermission):
    """Only customers open tickets through the API: agents and managers work them."""

    message = "Only customers can do this."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and not user.is_agent)


class IsAgent(BasePermission):
    """Agents and managers (a superuser included)."""

    message = "Only agents can do this."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_agent)


class IsManager(BasePermission):
    message = "Only managers can do this."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_manager)


class AgentMayChange(BasePermission):
    """Anyone who can see a ticket may read it; only agents change it.

    Checked on the object, after the lookup, so that a customer gets 404 for a ticket that is
    not theirs (it does not exist for them) and 403 for their own.
    """

    message = "Only agents change a ticket's status, priority, assignee or queue."

    def has_object_permission(self, request, view, obj) -> bool:
        return request.method in SAFE_METHODS or request.user.is_agent
