"""The pages' one access check: `project_page`, in the style of Django's `user_passes_test`.

    @require_GET
    @project_page(Role.MANAGER, Role.REVIEWER)
    def dashboard(request, *, project, role): ...

The decorator resolves the project from the URL's `slug` (404 for
non-members: a project's existence is not told), checks the user's role
(403 for a member without one of `roles`; no roles given: every member) and
calls the view with `project` and `role` in place of `slug`. The API has
its own, `annotator.api.permissions.ProjectScoped`; both use
`annotator.selectors.access`.
"""

from __future__ import annotations

from functools import wraps

from django.core.exceptions import PermissionDenied

from ..roles import Role
from ..selectors.access import project_and_role

_WHO = {Role.MANAGER: "managers", Role.REVIEWER: "reviewers", Role.ANNOTATOR: "annotators"}


def project_page(*roles: Role, refusal: str | None = None):
    """Decorate a page view under /projects/<slug>/ so it runs only for members with one of `roles`.

    `refusal` is the 403 page's message (default: who may open the page).
    """

    def decorator(view):
        @wraps(view)
        def checked(request, slug, *args, **kwargs):
            project, role = project_and_role(request.user, slug)
            if roles and role not in roles:
                raise PermissionDenied(refusal or f"Only {' and '.join(_WHO[r] for r in roles)} of {project.name} may open this page.")
            return view(request, *args, project=project, role=role, **kwargs)

        checked.roles = roles
        return checked

    return decorator
