"""Who may see what: a user's project (404 for non-members) and their role in it.

The pages check access with `annotator.views.access.project_page`, the API
with `annotator.api.permissions.ProjectScoped`; both call these.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from ..models import Membership, Project
from ..roles import Role


def project_for(user, slug: str) -> Project:
    """The project `slug` if the user may see it; 404 otherwise (not 403: its existence is not told)."""
    project = Project.objects.filter(slug=slug).first()
    if project is None or not (user.is_superuser or Membership.objects.filter(project=project, user=user).exists()):
        raise Http404("No such project.")
    return project


def role_of(user, project: Project) -> str | None:
    """The user's role in `project` (a superuser manages every project); None for a non-member."""
    if user.is_superuser:
        return Role.MANAGER
    return Membership.objects.filter(project=project, user=user).values_list("role", flat=True).first()


def can_manage(user, project: Project) -> bool:
    return role_of(user, project) == Role.MANAGER


def ensure_role(user, project: Project, *roles: str) -> str:
    """Return the user's role if it is one of `roles`; refuse with 403 otherwise."""
    role = role_of(user, project)
    if role not in roles:
        raise PermissionDenied(f"This needs the role {' or '.join(roles)} in {project.name}.")
    return role
