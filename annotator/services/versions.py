"""Trained extractor versions: which one suggests, and their pipelines stored in the database.

Below both training (which stores versions) and prediction (which loads
them), so that neither imports the other for these.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction

from ..extraction import training as pure
from ..models import ExtractorVersion, Project, StoredPipeline


def suggestion_model(project: Project | int) -> str | None:
    """The version string of the project's promoted version; None: the rule extractor."""
    project_id = project.pk if isinstance(project, Project) else project
    return (
        Project.objects.filter(pk=project_id, suggestion_model__isnull=False)
        .values_list("suggestion_model__version", flat=True)
        .first()
    )


def cache_dir() -> Path:
    """Where stored pipelines are unpacked (per process machine; the database keeps the bytes)."""
    configured = getattr(settings, "MODEL_CACHE_DIR", None) or os.environ.get("MODEL_CACHE_DIR")
    return Path(configured) if configured else Path(settings.VAR_DIR) / "models"


def load_trained(version: str):
    """The trained version `version` as an Extractor, from the database's bytes; None if no such stored version."""
    stored = (
        StoredPipeline.objects.filter(extractor__version=version)
        .select_related("extractor")
        .only("data", "sha256", "extractor__version", "extractor__base_model")
        .first()
    )
    if stored is None:
        return None
    folder = cache_dir() / f"{version}-{stored.sha256[:12]}"
    return pure.load_packed(bytes(stored.data), folder, version=version, base_model=stored.extractor.base_model)


def store_version(version: str, nlp, *, labels: list[str], merge: str, base_model: str) -> ExtractorVersion:
    """Register the version and its bytes (once: the same version string is the same pipeline)."""
    extractor, _ = ExtractorVersion.objects.get_or_create(
        version=version, defaults={"name": pure.TRAINED_NAME, "base_model": base_model}
    )
    if not StoredPipeline.objects.filter(extractor=extractor).exists():
        data = pure.pack(nlp)
        try:
            with transaction.atomic():
                StoredPipeline.objects.create(
                    extractor=extractor,
                    data=data,
                    size=len(data),
                    sha256=hashlib.sha256(data).hexdigest(),
                    labels=list(labels),
                    merge=merge,
                )
        except IntegrityError:  # the same training finished in another process first: its bytes stand
            pass
    return extractor
