"""The pages' role rules, for the API: non-members get 404, a missing role 403.

Managers see and do everything in their project; reviewers see everyone's
annotations, the gold and the evaluation; annotators see only their own
annotations (never anyone else's spans, never the gold).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from rest_framework import generics
from rest_framework.exceptions import ValidationError

from ..roles import OVERSEERS, Role
from ..selectors.access import ensure_role, project_and_role

MANAGER = Role.MANAGER
REVIEWER = Role.REVIEWER
ANNOTATOR = Role.ANNOTATOR


class ApiAuth:
    """Leave authentication to DRF (token or session): the site's LoginRequiredMiddleware would redirect a token."""

    @classmethod
    def as_view(cls, *args, **kwargs):
        return login_not_required(super().as_view(*args, **kwargs))


class ProjectScoped(ApiAuth):
    """A view under /api/projects/<slug>/: `self.project` and `self.role` of the user, checked before the handler.

    `roles` lists who may use the view at all (default: every member);
    `write_roles`, who may use its unsafe methods.
    """

    roles: tuple[str, ...] | None = None
    write_roles: tuple[str, ...] | None = None

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        for name, value in request.query_params.items():
            if "\x00" in value:  # no database compares text with a NUL in it
                raise ValidationError({name: "NUL characters are not allowed"})
        self.project, self.role = project_and_role(request.user, kwargs["slug"])
        allowed = self.roles
        if request.method not in ("GET", "HEAD", "OPTIONS") and self.write_roles is not None:
            allowed = self.write_roles
        if allowed is not None:
            ensure_role(self.project, self.role, *allowed)

    @property
    def overseer(self) -> bool:
        return self.role in OVERSEERS

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if hasattr(self, "role"):
            context["overseer"] = self.overseer
        return context


class APIView(ProjectScoped, generics.GenericAPIView):
    pass
