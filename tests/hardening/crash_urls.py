"""A URL that fails, beside the app's own, for the logging tests."""

from django.contrib.auth.decorators import login_not_required
from django.urls import include, path


@login_not_required
def crash(request):
    raise RuntimeError("boom: a bug in a view")


urlpatterns = [path("crash/", crash), path("", include("annotator.urls"))]
