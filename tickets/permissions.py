"""Who may call what: roles come from `User.role`; a superuser counts as a manager."""

from rest_framework.permissions import SAFE_METHODS, BasePermission


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
