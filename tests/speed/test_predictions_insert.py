"""The raw predictions insert (db.bulk.insert_predictions) stores what the ORM path stored, row for row.

`orm_store_predictions` is the ORM implementation store_predictions had
before the fast path: the reference the raw INSERTs are held to.
"""

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from annotator.models import Document, ExtractorVersion, PredictedSpan, Prediction
from annotator.services import prediction

from ..conftest import make_document

pytestmark = pytest.mark.django_db


def orm_store_predictions(version, labels, pairs) -> int:
    """The reference: a Prediction and a PredictedSpan instance per row, through bulk_create."""
    pairs = list(pairs)
    existing = set(
        Prediction.objects.filter(extractor=version, document__in=[d for d, _ in pairs]).values_list("document_id", flat=True)
    )
    pairs = [(d, s) for d, s in pairs if d.pk not in existing]
    predictions = Prediction.objects.bulk_create(Prediction(document=d, extractor=version) for d, _ in pairs)
    PredictedSpan.objects.bulk_create(
        PredictedSpan(
            prediction=p, label=labels[s["label"]], start=s["start"], end=s["end"], score=s.get("score"), source=s.get("source") or ""
        )
        for p, (_, spans) in zip(predictions, pairs)
        for s in spans
        if s["label"] in labels
    )
    for document, spans in pairs:
        document.uncertainty = prediction.uncertainty(spans)
    Document.objects.bulk_update([d for d, _ in pairs], ["uncertainty"])
    return len(predictions)


def spans_of(pairs_of_texts):
    """Spans for each text: every 'Mosul' and 'Raqqa', with scores, sources, a missing score and an unknown label."""
    out = []
    for index, text in enumerate(pairs_of_texts):
        spans = []
        for word, label in (("Mosul", "LOCATION"), ("Raqqa", "LOCATION"), ("forces", "ACTOR"), ("fled", "NOT-A-LABEL")):
            start = text.find(word)
            if start != -1:
                score = None if word == "forces" else round(0.5 + index / 100, 3)
                spans.append({"start": start, "end": start + len(word), "label": label, "score": score, "source": "" if word == "Raqqa" else "rule:x"})
        out.append(spans)
    return out


def stored(version):
    rows = PredictedSpan.objects.filter(prediction__extractor=version).values_list(
        "prediction__document_id", "label_id", "start", "end", "score", "source"
    )
    return sorted(rows, key=lambda r: (r[0], r[2], r[3], r[1]))


@pytest.fixture
def corpus(project):
    texts = [f"Report {i}: Iraqi forces entered Mosul while families fled to Raqqa." for i in range(1, 40)]
    texts.append("Nothing to find in this one.")
    return [make_document(project, text=text, order=i) for i, text in enumerate(texts, start=1)]


def test_the_raw_insert_stores_the_rows_the_orm_stored(project, corpus):
    labels = {label.name: label for label in project.labels.all()}
    spans = spans_of([d.text for d in corpus])
    reference = ExtractorVersion.objects.create(version="orm", name="orm")
    fast = ExtractorVersion.objects.create(version="fast", name="fast")

    assert orm_store_predictions(reference, labels, zip(corpus, spans)) == len(corpus)
    expected_uncertainty = dict(Document.objects.values_list("pk", "uncertainty"))
    Document.objects.update(uncertainty=0)
    assert prediction.store_predictions(fast, labels, zip(corpus, spans)) == len(corpus)

    assert stored(fast) == stored(reference)
    assert len(stored(fast)) == 39 * 3  # the unknown label left out
    assert dict(Document.objects.values_list("pk", "uncertainty")) == expected_uncertainty
    assert sorted(Prediction.objects.filter(extractor=fast).values_list("document_id", flat=True)) == sorted(
        Prediction.objects.filter(extractor=reference).values_list("document_id", flat=True)
    )
    assert all(p.created_at is not None for p in Prediction.objects.filter(extractor=fast))


def test_documents_that_have_the_versions_predictions_are_left_alone(project, corpus):
    labels = {label.name: label for label in project.labels.all()}
    version = ExtractorVersion.objects.create(version="v", name="v")
    spans = spans_of([d.text for d in corpus])
    assert prediction.store_predictions(version, labels, zip(corpus[:10], spans[:10])) == 10
    before = stored(version)
    assert prediction.store_predictions(version, labels, zip(corpus, [[] for _ in corpus])) == len(corpus) - 10
    after = stored(version)
    assert after == before  # the ten kept their spans; the others got none
    assert Prediction.objects.filter(extractor=version).count() == len(corpus)


def test_a_duplicate_prediction_is_refused_by_the_database(project, corpus):
    labels = {label.name: label for label in project.labels.all()}
    version = ExtractorVersion.objects.create(version="v", name="v")
    with pytest.raises(IntegrityError), transaction.atomic():
        prediction.store_predictions(version, labels, [(corpus[0], []), (corpus[0], [])])
    assert not Prediction.objects.filter(extractor=version).exists()


def test_the_statements_do_not_grow_with_the_documents(project, corpus):
    labels = {label.name: label for label in project.labels.all()}
    spans = spans_of([d.text for d in corpus])
    counts = []
    for name, part in (("few", slice(0, 4)), ("many", slice(4, None))):
        version = ExtractorVersion.objects.create(version=name, name=name)
        with CaptureQueriesContext(connection) as queries:
            prediction.store_predictions(version, labels, zip(corpus[part], spans[part]))
        counts.append(len(queries))
    assert counts[0] == counts[1]
