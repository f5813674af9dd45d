"""Names a request gives (a model version, an annotator's username), looked up inside one project only.

A name that exists only in another project is answered exactly like one that
does not exist at all, so a manager of one project learns nothing of another.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q

from .models import Annotation, ExtractorVersion, Membership, Prediction, Project


def versions_in(project: Project):
    """The extractor versions with predictions in the project."""
    return ExtractorVersion.objects.filter(Exists(Prediction.objects.filter(extractor=OuterRef("pk"), document__project=project)))


def version_in(project: Project, name: str | None) -> ExtractorVersion | None:
    """The version named `name` (its exact version string, else the newest with that name) with predictions in the project."""
    if not name:
        return None
    versions = versions_in(project)
    exact = versions.filter(version=name).first()
    if exact is not None:
        return exact
    return versions.filter(name=name).order_by("-created_at", "-id").first()


def annotator_in(project: Project, username: str | None):
    """The user `username` if they are a member of the project or have annotations in it, else None."""
    if not username:
        return None
    User = get_user_model()
    member = Membership.objects.filter(project=project, user=OuterRef("pk"))
    annotated = Annotation.objects.filter(document__project=project, annotator=OuterRef("pk"))
    return User.objects.filter(username=username).filter(Q(Exists(member)) | Q(Exists(annotated))).first()
