"""Roles are Django groups; this module is the one place that says who may do what."""

from enum import StrEnum
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from rest_framework.permissions import SAFE_METHODS, BasePermission


class Role(StrEnum):
    ADMIN = "admin"
    OPERATOR = "operator"
    COWORKER = "coworker"
    # A machine account of a REST client that ingests messages and fetches drafts.
    CLIENT = "client"


def user_roles(user) -> frozenset[Role]:
    if not user.is_authenticated:
        return frozenset()
    # Cached on the user object, as Django caches permissions: a page asks several times,
    # and each request loads its own user.
    if not hasattr(user, "_prospector_roles"):
        if user.is_superuser:
            user._prospector_roles = frozenset(Role)
        else:
            names = {group.name for group in user.groups.all()}
            user._prospector_roles = frozenset(role for role in Role if role.value in names)
    return user._prospector_roles


def has_role(user, *roles: Role) -> bool:
    return bool(user_roles(user) & set(roles))


def can_review(user) -> bool:
    return has_role(user, Role.ADMIN, Role.COWORKER)


def can_ingest(user) -> bool:
    return has_role(user, Role.ADMIN, Role.OPERATOR, Role.CLIENT)


# Corrections and tuning exports are people's work on drafts: panel roles, not REST clients.
CORRECTION_READERS = (Role.ADMIN, Role.OPERATOR, Role.COWORKER)


def can_read_corrections(user) -> bool:
    return has_role(user, *CORRECTION_READERS)


def can_start_jobs(user) -> bool:
    return has_role(user, Role.ADMIN, Role.OPERATOR)


def can_run_preview_on_model(user) -> bool:
    """Running a workflow's chain from the preview spends model time, as a job does."""
    return has_role(user, Role.ADMIN, Role.OPERATOR)


def can_change_engine(user) -> bool:
    return has_role(user, Role.ADMIN)


def role_required(view):
    """Login required, and deny-by-default: a user without any role gets 403."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not user_roles(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def roles_context(request):
    roles = user_roles(request.user)
    return {
        "user_roles": sorted(roles),
        "is_admin": Role.ADMIN in roles,
        # The navigation offers only the pages the user may open.
        "nav_can_review": can_review(request.user),
    }


class AnyRole(BasePermission):
    """Deny-by-default: an authenticated user without any role sees nothing."""

    def has_permission(self, request, view):
        return bool(user_roles(request.user))


def role_permission(*, write: tuple[Role, ...], read: tuple[Role, ...] = tuple(Role)):
    """A DRF permission class: ``read`` roles may use safe methods, ``write`` roles any."""

    class RolePermission(BasePermission):
        def has_permission(self, request, view):
            allowed = read if request.method in SAFE_METHODS else write
            return has_role(request.user, *allowed)

    return RolePermission
