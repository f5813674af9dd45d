"""Who may see what: a user's project (404 for non-members) and their role in it.

The pages check access with `annotator.views.access.project_page`, the API
with `annotator.api.permissions.ProjectScoped`; both call these.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Subquery
from django.http import Http404

from ..models import Membership, Project
from ..roles import Role


def project_and_role(user, slug: str) -> tuple[Project, str]:
    """The project `slug` and the user's role in it, in one query; 404 for a non-member (not 403: a project's existence is not told).

    Every page and API request under a project asks both (and the page's
    navigation asks the role again): the role is kept on the user object
    (request.user lives as long as the request), so `role_of` answers from it
    for the rest of the request.
    """
    mine = Membership.objects.filter(project=OuterRef("pk"), user=user.pk).values("role")[:1]
    project = Project.objects.filter(slug=slug).annotate(member_role=Subquery(mine)).first()
    role = Role.MANAGER if user.is_superuser else getattr(project, "member_role", None)
    if project is None or role is None:
        raise Http404("No such project.")
    if getattr(user, "_project_roles", None) is None:
        user._project_roles = {}
    user._project_roles[project.pk] = role
    return project, role


def role_of(user, project: Project) -> str | None:
    """The user's role in `project` (a superuser manages every project); None for a non-member."""
    if user.is_superuser:
        return Role.MANAGER
    known = getattr(user, "_project_roles", None) or {}
    if project.pk in known:
        return known[project.pk]
    return Membership.objects.filter(project=project, user=user).values_list("role", flat=True).first()


def ensure_role(project: Project, role: str | None, *roles: str) -> None:
    """Refuse with 403 unless `role` (the user's, from project_and_role) is one of `roles`."""
    if role not in roles:
        raise PermissionDenied(f"This needs the role {' or '.join(roles)} in {project.name}.")
