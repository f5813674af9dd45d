"""records -> dump -> load -> the same records, for every format, over random text and spans."""

import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotator.formats import FORMATS, brat, check_spans, conll, docbin, doccano, jsonl, labelstudio, prodigy

from .strategies import LABELS, documents, key

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def text_round_trip(module, records, layer="gold"):
    problems = []
    lines = "".join(module.dump(records, report=lambda *a: problems.append(a), layer=layer))
    back = list(module.load(io.StringIO(lines, newline=""), name="t", layer=layer))
    for record in back:
        check_spans(record, set(LABELS))
    return back, problems


@SETTINGS
@given(documents(scores=True))
def test_jsonl(records):
    back, _ = text_round_trip(jsonl, records)
    assert [key(r) for r in back] == [key(r) for r in records]
    assert [[s.score for s in r.spans] for r in back] == [[s.score for s in sorted(r.spans, key=lambda s: (s.start, s.end))] for r in records]


@SETTINGS
@given(documents())
def test_prodigy_keeps_every_span_and_points_tokens_at_them(records):
    back, problems = text_round_trip(prodigy, records)
    assert [key(r) for r in back] == [key(r) for r in records]
    # Every reported span is one that begins or ends with whitespace, kept by characters.
    assert all(r.text[s.start].isspace() or r.text[s.end - 1].isspace() for r, s, _ in problems)


@SETTINGS
@given(documents())
def test_doccano_both_shapes(records):
    for module in (doccano, FORMATS["doccano-entities"]):
        back, _ = text_round_trip(module, records)
        assert [key(r) for r in back] == [key(r) for r in records]


@SETTINGS
@given(documents(scores=True), st.sampled_from(["gold", "model"]))
def test_labelstudio_annotations_and_predictions(records, layer):
    if layer == "model":
        for r in records:
            r.meta["model"] = "ner-v1"
    back, _ = text_round_trip(labelstudio, records, layer)
    assert [key(r) for r in back] == [key(r) for r in records]
    if layer == "model":
        assert [[s.score for s in r.spans] for r in back] == [[s.score for s in sorted(r.spans, key=lambda s: (s.start, s.end))] for r in records]


@SETTINGS
@given(documents())
def test_brat(records):
    members = dict(brat.dump(records))
    stems = [name[:-4] for name in members if name.endswith(".ann")]
    back = list(brat.load((stem, members[f"{stem}.txt"], members[f"{stem}.ann"]) for stem in stems))
    assert [(r.text, sorted((s.start, s.end, s.label) for s in r.spans)) for r in back] == [
        (r.text, sorted((s.start, s.end, s.label) for s in r.spans)) for r in records
    ]
    assert set(LABELS) >= set(members["annotation.conf"].split("[relations]")[0].split()[1:])


@SETTINGS
@given(documents(trimmed=True))
def test_spacy_docbin(records):
    data = b"".join(docbin.dump(records))
    back = list(docbin.load(io.BytesIO(data), name="t"))
    assert [key(r) for r in back] == [key(r) for r in records]


def conll_key(record, spans=None):
    """CoNLL keeps tokens, not spacing: compare each span's characters other than whitespace, and label."""
    return [("".join(record.text[s.start : s.end].split()), s.label) for s in sorted(spans or record.spans, key=lambda s: s.start)]


@SETTINGS
@given(documents(trimmed=True))
def test_conll_keeps_every_span_word_for_word(records):
    back, problems = text_round_trip(conll, records)
    assert not problems
    assert len(back) == len(records)
    for original, read in zip(records, back):
        assert conll_key(read) == conll_key(original)
        assert "".join(read.text.split()) == "".join(original.text.split())
    # A second trip is exact: the text CoNLL gives back is its own fixed point.
    again, _ = text_round_trip(conll, back)
    assert [(r.text, [(s.start, s.end, s.label) for s in r.spans]) for r in again] == [
        (r.text, [(s.start, s.end, s.label) for s in r.spans]) for r in back
    ]


@SETTINGS
@given(documents())
def test_token_formats_report_what_they_cannot_hold(records):
    for module in (conll, docbin):
        problems = []
        list(module.dump(records, report=lambda record, span, reason: problems.append((record.id, span))))
        expected = [
            (r.id, s) for r in records for s in sorted(r.spans, key=lambda s: (s.start, s.end))
            if r.text[s.start].isspace() or r.text[s.end - 1].isspace()
        ]
        assert problems == expected
