"""Pages of the site around the app: the API's index at /api/.

(The 403, 404 and 500 pages are the templates 403.html, 404.html and 500.html,
which Django's own handlers render.)
"""

from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse
from django.urls import reverse
from django.views.decorators.http import require_safe


@require_safe
@login_not_required
def api_root(request):
    """What /api/ offers, with links: a starting point instead of a 404."""
    url = request.build_absolute_uri

    return JsonResponse(
        {
            "detail": "The annotator's REST API. Send `Authorization: Token ...` (a token from auth/token).",
            "token": url(reverse("api-token")),
            "projects": url(reverse("api-projects")),
            "project": url(reverse("api-projects")) + "{slug}/ (labels/, documents/, next/, annotations/, models/, "
            "predictions/, predict/, gold/, exports/, evaluation/, agreement/, tasks/)",
            "schema": url(reverse("api-schema")),
            "docs": url(reverse("api-docs")),
            "app": url(reverse("project_list")),
        }
    )
