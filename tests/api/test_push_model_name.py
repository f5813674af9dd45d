"""A pushed document's meta cannot redirect predictions to another model version (issue 16's per-record versions are for files)."""

import pytest

from annotator.models import ExtractorVersion, Membership, Prediction

from .conftest import url

pytestmark = pytest.mark.django_db


def test_pushed_predictions_go_under_the_model_named_whatever_the_meta_says(project, docs, as_user):
    _, client = as_user(Membership.Role.MANAGER)
    own = Prediction.objects.first().extractor.version  # the app's own extractor, which the API refuses to be named
    body = {
        "model": "crf-v2",
        "documents": [{"id": "n", "text": "Kurdish fighters reached Raqqa.", "meta": {"model": own}, "spans": [{"start": 25, "end": 30, "label": "LOCATION"}]}],
    }
    assert client.post(url(project, "predictions/"), body, format="json").status_code == 201
    stored = Prediction.objects.get(document__text="Kurdish fighters reached Raqqa.")
    assert stored.extractor == ExtractorVersion.objects.get(version="crf-v2")
