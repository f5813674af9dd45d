"""Template tags of the page frame: the project navigation and its current page."""

from django import template

from ..roles import OVERSEERS, Role
from ..selectors.access import role_of

register = template.Library()

# Which navigation entry each page belongs to (by URL name).
SECTIONS = {
    "project_detail": "documents", "document_list": "documents", "annotate": "documents", "claim": "documents", "gold": "documents",
    "review_queue": "review", "review": "review", "review_next": "review",
    "dashboard": "progress",
    "agreement": "agreement",
    "evaluation": "evaluation",
    "export": "transfer", "import_upload": "transfer",
    "task_list": "tasks", "task_detail": "tasks",
    "training": "training",
    "project_settings": "settings", "label_add": "settings", "label_save": "settings",
    "member_save": "settings", "account_create": "settings",
}


@register.simple_tag(takes_context=True)
def project_menu(context, project) -> dict:
    """The role of the signed-in user in `project` (one query) and the section of the current page."""
    request = context.get("request")
    user = getattr(request, "user", None)
    role = role_of(user, project) if user is not None and user.is_authenticated else None
    match = getattr(request, "resolver_match", None)
    section = SECTIONS.get(match.url_name if match else "", "")
    return {"role": role, "section": section, "overseer": role in OVERSEERS, "manager": role == Role.MANAGER}
