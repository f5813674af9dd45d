"""The files are read by the tools they are for: spaCy (DocBin, Corpus, scorer) and seqeval;
and files written by hand in Prodigy's, doccano's and Label Studio's documented shapes import whole."""

import io
import json
from pathlib import Path

import pytest
import spacy
from spacy.scorer import get_ner_prf
from spacy.tokens import Doc, DocBin
from spacy.training import Corpus, Example

from annotator.formats import FORMATS, Record, Span, check_spans, conll, docbin, doccano, labelstudio, prodigy
from annotator.formats.tokens import token_offsets

GOLD = sorted(Path(__file__).resolve().parents[2].joinpath("fixtures", "gold").glob("*.jsonl"))
LABELS = {"ACTOR", "LOCATION", "QUANTITY"}


def gold_records():
    return [r for path in GOLD for r in FORMATS["jsonl"].load(path.open(encoding="utf-8"), name=path.stem)]


def predictions(record):
    """Deterministic mistakes on whole tokens: drops, relabels, a token more, spans on words that have none."""
    tokens = token_offsets(record.text)
    ends = [e for _, e in tokens]
    spans = []
    taken = []
    for i, span in enumerate(record.spans):
        if i % 5 == 0:
            continue
        label = span.label
        if i % 7 == 0:
            label = "ACTOR" if label != "ACTOR" else "LOCATION"
        end = span.end
        if i % 11 == 0:
            following = [e for e in ends if e > span.end]
            nxt = record.spans[i + 1].start if i + 1 < len(record.spans) else len(record.text)
            if following and following[0] <= nxt:
                end = following[0]
        spans.append(Span(span.start, end, label))
        taken.append((span.start, end))
    for n, (start, end) in enumerate(tokens):
        if n % 40 == 3 and not any(s < end and start < e for s, e in taken) and record.text[start:end].isalpha():
            spans.append(Span(start, end, "QUANTITY"))
    return Record(record.id, record.text, sorted(spans, key=lambda s: s.start))


def strict_counts(golds, preds):
    gold = {(r.id, s.start, s.end, s.label) for r in golds for s in r.spans}
    pred = {(r.id, s.start, s.end, s.label) for r in preds for s in r.spans}
    return len(gold & pred), len(pred - gold), len(gold - pred)


@pytest.fixture(scope="module")
def gold_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("spacy") / "gold.spacy"
    path.write_bytes(b"".join(docbin.dump(gold_records())))
    return path


def test_docbin_loads_in_spacy_with_every_entity(gold_file):
    records = gold_records()
    docs = list(DocBin().from_disk(gold_file).get_docs(spacy.blank("en").vocab))
    assert [d.text for d in docs] == [r.text for r in records]
    for doc, record in zip(docs, records):
        assert [(e.start_char, e.end_char, e.label_) for e in doc.ents] == [(s.start, s.end, s.label) for s in record.spans]
        assert [(s.start_char, s.end_char) for s in doc.spans["sc"]] == [(s.start, s.end) for s in record.spans]
    # What `spacy train` and `spacy debug data` read: Examples from a Corpus.
    examples = list(Corpus(str(gold_file))(spacy.blank("en")))
    assert len(examples) == len(records)
    assert sum(len(eg.reference.ents) for eg in examples) == sum(len(r.spans) for r in records) > 400


def test_spacy_scorer_gives_the_strict_scores_of_a_plain_count(gold_file):
    golds = gold_records()
    preds = [predictions(r) for r in golds]
    vocab = spacy.blank("en").vocab
    examples = []
    for reference, pred in zip(DocBin().from_disk(gold_file).get_docs(vocab), preds):
        predicted = Doc(vocab, words=[t.text for t in reference], spaces=[bool(t.whitespace_) for t in reference])
        predicted.ents = [predicted.char_span(s.start, s.end, label=s.label, alignment_mode="strict") for s in pred.spans]
        examples.append(Example(predicted, reference))
    scores = get_ner_prf(examples)
    tp, fp, fn = strict_counts(golds, preds)
    assert tp and fp and fn
    assert scores["ents_p"] == pytest.approx(tp / (tp + fp))
    assert scores["ents_r"] == pytest.approx(tp / (tp + fn))
    assert scores["ents_f"] == pytest.approx(2 * tp / (2 * tp + fp + fn))


def test_conll_parses_in_seqeval_with_the_same_entities():
    from seqeval.metrics import f1_score
    from seqeval.metrics.sequence_labeling import get_entities
    from seqeval.scheme import IOB2

    records = gold_records()
    text = "".join(conll.dump(records))
    documents = [d for d in text.split("-DOCSTART- -X- -X- O\n") if d.strip()]
    assert len(documents) == len(records)
    for document, record in zip(documents, records):
        sentences = [[line.split() for line in block.splitlines()] for block in document.strip("\n").split("\n\n")]
        assert all(len(columns) == 4 and columns[1:3] == ["-X-", "_"] for s in sentences for columns in s)
        tags = [[columns[3] for columns in s] for s in sentences]
        assert f1_score(tags, tags, mode="strict", scheme=IOB2) == 1.0 or not record.spans
        found = []
        for sentence, sentence_tags in zip(sentences, tags):
            for label, first, last in get_entities(sentence_tags):
                found.append(("".join(c[0] for c in sentence[first : last + 1]), label))
        expected = [("".join(record.text[s.start : s.end].split()), s.label) for s in record.spans]
        assert found == expected


PRODIGY = [
    # Prodigy's ner_manual task as `prodigy db-out` writes it (tokens with ws, token_end inclusive).
    {
        "text": "Iraqi forces entered Mosul on Friday.",
        "meta": {"source": "reuters"},
        "_input_hash": -1405186236,
        "_task_hash": 1822476398,
        "tokens": [
            {"text": "Iraqi", "start": 0, "end": 5, "id": 0, "ws": True},
            {"text": "forces", "start": 6, "end": 12, "id": 1, "ws": True},
            {"text": "entered", "start": 13, "end": 20, "id": 2, "ws": True},
            {"text": "Mosul", "start": 21, "end": 26, "id": 3, "ws": True},
            {"text": "on", "start": 27, "end": 29, "id": 4, "ws": True},
            {"text": "Friday", "start": 30, "end": 36, "id": 5, "ws": False},
            {"text": ".", "start": 36, "end": 37, "id": 6, "ws": False},
        ],
        "spans": [
            {"start": 0, "end": 12, "token_start": 0, "token_end": 1, "label": "ACTOR"},
            {"start": 21, "end": 26, "token_start": 3, "token_end": 3, "label": "LOCATION"},
        ],
        "_view_id": "ner_manual",
        "answer": "accept",
        "_timestamp": 1700000000,
        "_annotator_id": "news-alice",
        "_session_id": "news-alice",
    },
    {"text": "About 200 militants fled.", "spans": [{"start": 0, "end": 19, "label": "QUANTITY"}], "answer": "accept"},
    {"text": "A rejected task.", "spans": [{"start": 2, "end": 10, "label": "ACTOR"}], "answer": "reject"},
]

DOCCANO = [
    '{"text": "Iraqi forces entered Mosul.", "label": [[0, 12, "ACTOR"], [21, 26, "LOCATION"]]}',
    '{"id": 7, "text": "About 200 militants fled to Raqqa.", "label": [[0, 19, "QUANTITY"], [28, 33, "LOCATION"]], "Comments": []}',
    # doccano's export of a project with relations: entities with ids and offsets.
    '{"id": 8, "text": "Kurdish-led SDF fighters captured Tabqa.", "entities": [{"id": 0, "label": "ACTOR", "start_offset": 12, "end_offset": 15}, '
    '{"id": 1, "label": "LOCATION", "start_offset": 34, "end_offset": 39}], "relations": [], "Comments": []}',
]

TEXT_LS = "Iraqi forces 👍 entered Mosul."
LABEL_STUDIO = [
    # Label Studio's JSON export: a task with an annotation and a prediction.
    {
        "id": 1,
        "data": {"text": "Iraqi forces entered Mosul."},
        "annotations": [
            {
                "id": 10,
                "completed_by": 1,
                "result": [
                    {"value": {"start": 0, "end": 12, "text": "Iraqi forces", "labels": ["ACTOR"]}, "id": "a1", "from_name": "label", "to_name": "text", "type": "labels", "origin": "manual"},
                    {"value": {"start": 21, "end": 26, "text": "Mosul", "labels": ["LOCATION"]}, "id": "a2", "from_name": "label", "to_name": "text", "type": "labels", "origin": "manual"},
                ],
                "was_cancelled": False,
                "ground_truth": False,
                "lead_time": 4.2,
            }
        ],
        "predictions": [
            {
                "model_version": "ner-v1",
                "score": 0.8,
                "result": [
                    {"value": {"start": 21, "end": 26, "text": "Mosul", "labels": ["LOCATION"]}, "id": "p1", "from_name": "label", "to_name": "text", "type": "labels", "score": 0.8}
                ],
            }
        ],
    },
    # Offsets from a browser that counts UTF-16 units: Mosul is at 23..28 in code points, 24..29 in UTF-16.
    {
        "id": 2,
        "data": {"text": TEXT_LS},
        "annotations": [
            {"result": [{"value": {"start": 24, "end": 29, "text": "Mosul", "labels": ["LOCATION"]}, "from_name": "label", "to_name": "text", "type": "labels"}]},
            {"was_cancelled": True, "result": []},
        ],
        "predictions": [],
    },
]


def load_all(module, text, **options):
    records = list(module.load(io.StringIO(text, newline=""), name="hand", **options))
    for record in records:
        check_spans(record, LABELS)
    return [(r.text, [(r.text[s.start : s.end], s.label) for s in r.spans]) for r in records]


def test_hand_written_prodigy_imports_every_accepted_span():
    assert load_all(prodigy, "\n".join(json.dumps(t) for t in PRODIGY)) == [
        ("Iraqi forces entered Mosul on Friday.", [("Iraqi forces", "ACTOR"), ("Mosul", "LOCATION")]),
        ("About 200 militants fled.", [("About 200 militants", "QUANTITY")]),
    ]


def test_hand_written_doccano_imports_every_span_in_both_shapes():
    assert load_all(doccano, "\n".join(DOCCANO)) == [
        ("Iraqi forces entered Mosul.", [("Iraqi forces", "ACTOR"), ("Mosul", "LOCATION")]),
        ("About 200 militants fled to Raqqa.", [("About 200 militants", "QUANTITY"), ("Raqqa", "LOCATION")]),
        ("Kurdish-led SDF fighters captured Tabqa.", [("SDF", "ACTOR"), ("Tabqa", "LOCATION")]),
    ]


def test_hand_written_label_studio_keeps_annotations_and_predictions_apart():
    export = json.dumps(LABEL_STUDIO, indent=2, ensure_ascii=False)
    assert load_all(labelstudio, export) == [
        ("Iraqi forces entered Mosul.", [("Iraqi forces", "ACTOR"), ("Mosul", "LOCATION")]),
        (TEXT_LS, [("Mosul", "LOCATION")]),  # converted from UTF-16 units
    ]
    predicted = list(labelstudio.load(io.StringIO(export), layer="model"))
    # The second task has no prediction: its text is imported, the model layer left alone.
    assert [(r.meta.get("model"), [(s.start, s.end, s.label, s.score) for s in r.spans], r.status) for r in predicted] == [
        ("ner-v1", [(21, 26, "LOCATION", 0.8)], "annotated"),
        (None, [], "unannotated"),
    ]
    # One task per line (JSONL) reads the same.
    assert load_all(labelstudio, "\n".join(json.dumps(t) for t in LABEL_STUDIO)) == load_all(labelstudio, export)
