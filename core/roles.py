"""Roles are Django groups; this module is the one place that says who may do what.

Each action has one named predicate (``can_review``, ``can_start_jobs``, ...), and the
panel and the API both ask it, so the two surfaces cannot disagree. Both deny by default:

- the panel: ``RolesRequiredMiddleware`` refuses any view that does not declare who may
  open it, with ``@allow(...)`` or ``@public``;
- the API: DRF's default permission (``DeclaredNothing``) refuses everyone, so an API view
  names its readers and writers with ``permission_classes = [Allows(...)]``.
"""

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from functools import wraps

from django.contrib.auth.views import redirect_to_login
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


# --- who may do what: one predicate per action ---------------------------------------

Predicate = Callable[[object], bool]


def anyone(user) -> bool:
    """Public: probes, logging in and out."""
    return True


def nobody(user) -> bool:
    return False


def has_any_role(user) -> bool:
    """Reading the panel and the API: signed in and in a group. A user without a role
    sees nothing."""
    return bool(user_roles(user))


def can_review(user) -> bool:
    """Approve, correct, reject or re-draft a draft; label a decision's move."""
    return has_role(user, Role.ADMIN, Role.COWORKER)


def can_record_outcome(user) -> bool:
    """Record how a thread ended (booked, declined, ...): the reviewers on the thread
    page, and the REST client (the bridge or a CRM) through the API."""
    return has_role(user, Role.ADMIN, Role.COWORKER, Role.CLIENT)


def can_ingest(user) -> bool:
    return has_role(user, Role.ADMIN, Role.OPERATOR, Role.CLIENT)


def can_read_corrections(user) -> bool:
    """Corrections and tuning exports are people's work on drafts: panel roles, not
    REST clients."""
    return has_role(user, Role.ADMIN, Role.OPERATOR, Role.COWORKER)


def can_start_jobs(user) -> bool:
    """Start, cancel or retry a drafting job. A job spends rented model time on threads
    already drafted: the people who run workflows decide that, not the REST client, whose
    part is ingesting (DESIGN.md's roles)."""
    return has_role(user, Role.ADMIN, Role.OPERATOR)


def can_run_preview_on_model(user) -> bool:
    """Running a workflow's chain from the preview spends model time, as a job does."""
    return can_start_jobs(user)


def can_edit_workflows(user) -> bool:
    """Author, version, publish and roll back workflows; edit snippets; run experiments."""
    return has_role(user, Role.ADMIN, Role.OPERATOR)


def can_change_engine(user) -> bool:
    """Flip the active draft or classifier engine; promote a build, set its guards and
    its concurrency."""
    return has_role(user, Role.ADMIN)


def can_clear_safety(user) -> bool:
    """Release a thread from its safety memory (a person-only thread answers again)."""
    return has_role(user, Role.ADMIN)


def can_read_training(user) -> bool:
    return has_role(user, Role.ADMIN, Role.OPERATOR)


def can_train(user) -> bool:
    """Start a training run or an evaluation: both rent a GPU."""
    return has_role(user, Role.ADMIN)


def can_manage_webhooks(user) -> bool:
    """See and change integrators' webhook subscriptions and their delivery log: a
    subscription sends every draft's text to a URL outside."""
    return has_role(user, Role.ADMIN)


def can_use_gpu_levers(user) -> bool:
    """Hold a GPU warm, release it, change the GPU policy: each one spends money."""
    return has_role(user, Role.ADMIN)


@dataclass(frozen=True)
class Access:
    """Who may read (safe methods) and who may write (any other method)."""

    read: Predicate
    write: Predicate

    def permits(self, user, method: str) -> bool:
        return (self.read if method in SAFE_METHODS else self.write)(user)


PUBLIC = Access(read=anyone, write=anyone)


# --- the panel ------------------------------------------------------------------------


def allow(read: Predicate, *, write: Predicate | None = None):
    """Declares who may open a panel view: ``read`` for GET and HEAD, ``write`` (by
    default the same) for a POST. Anonymous users go to the login page, others who may
    not get 403."""
    access = Access(read=read, write=write or read)

    def decorate(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not access.permits(request.user, request.method):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapped.access = access
        return wrapped

    return decorate


def public(view):
    """Declares a panel view that anyone may open (it may check something else itself)."""
    view.access = PUBLIC
    return view


class RolesRequiredMiddleware:
    """Deny by default on the panel: a view that does not declare its access is refused,
    so a new page cannot go out open by forgetting a decorator. DRF views answer to DRF's
    default permission instead, and Django's admin to its own staff check."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        # Imported here: DRF reads this module for its default permission while it loads.
        from rest_framework.views import APIView

        view_class = getattr(view_func, "cls", None)
        if isinstance(view_class, type) and issubclass(view_class, APIView):
            return None
        if request.resolver_match.app_name == "admin":
            return None
        if not isinstance(getattr(view_func, "access", None), Access):
            raise PermissionDenied("This view does not declare who may open it.")
        return None


def roles_context(request):
    roles = user_roles(request.user)
    # The header names the roles briefly: an admin may do all that the others may.
    return {"user_roles": [Role.ADMIN] if Role.ADMIN in roles else [r for r in Role if r in roles]}


# --- the API --------------------------------------------------------------------------


def Allows(read: Predicate, *, write: Predicate | None = None) -> type[BasePermission]:  # noqa: N802 (a class factory, used where DRF expects a class)
    """A DRF permission class: ``read`` for safe methods, ``write`` (by default the same)
    for the others."""
    access = Access(read=read, write=write or read)

    class RolePermission(BasePermission):
        def has_permission(self, request, view):
            return access.permits(request.user, request.method)

    RolePermission.access = access
    return RolePermission


# DRF's DEFAULT_PERMISSION_CLASSES: an API view that does not declare who may use it
# refuses everyone (401 without credentials, 403 with).
DeclaredNothing = Allows(nobody)
