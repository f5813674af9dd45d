"""The extractor as the app sees it (pipeline.py): loading, caching, versions, predict()."""

import glob
import json
import logging
from pathlib import Path

import pytest
import spacy

from annotator.evaluation.schemes import overlap, strict
from annotator.extraction import Extractor, load_extractor
from annotator.extraction.pipeline import (
    BASELINE_NAME,
    EXCLUDED_COMPONENTS,
    EXTRACTOR_NAME,
    RULER,
    _version,
    build_extractor,
    clear_cache,
)

from .conftest import heldout_articles

MISSING = "no_such_spacy_pipeline_for_tests"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def blank_extractor() -> Extractor:
    """The full rule set on a blank pipeline (what a machine without the model gets)."""
    return build_extractor(MISSING)


def test_a_missing_model_falls_back_to_the_rules_and_warns_once(caplog):
    clear_cache()
    with caplog.at_level(logging.WARNING, logger="annotator.extraction.pipeline"):
        first = load_extractor(MISSING)
        second = load_extractor(MISSING)
    assert first is second
    assert len(first.warnings) == 1 and MISSING in first.warnings[0]
    assert len([r for r in caplog.records if MISSING in r.getMessage()]) == 1
    assert first.base_model == MISSING
    assert first.nlp.pipe_names == ["page_layout", RULER, "quantity_spans", "span_resolver"]
    clear_cache()


def test_the_cache_is_keyed_by_model_and_mode():
    clear_cache()
    assert load_extractor(MISSING) is not load_extractor(MISSING, rules=False)
    assert load_extractor(MISSING, cache=False) is not load_extractor(MISSING)
    clear_cache()


def test_version_is_the_name_and_a_hash_of_config_and_patterns(blank_extractor):
    nlp = blank_extractor.nlp
    assert blank_extractor.name == EXTRACTOR_NAME
    assert blank_extractor.version.startswith(f"{EXTRACTOR_NAME}-")
    assert _version(EXTRACTOR_NAME, nlp) == blank_extractor.version  # stable

    other = build_extractor(MISSING)
    other.nlp.get_pipe(RULER).add_patterns([{"label": "ACTOR", "id": "group", "pattern": "Jaysh al-Mahdi"}])
    assert _version(EXTRACTOR_NAME, other.nlp) != blank_extractor.version

    changed = build_extractor(MISSING)
    changed.nlp.remove_pipe("quantity_spans")  # a different config
    assert _version(EXTRACTOR_NAME, changed.nlp) != blank_extractor.version


def test_the_baseline_has_its_own_name_and_version():
    baseline = build_extractor(MISSING, rules=False)
    assert baseline.name == BASELINE_NAME
    assert baseline.nlp.pipe_names == ["span_resolver"]
    assert baseline.version != build_extractor(MISSING).version


def test_predict_yields_sorted_non_overlapping_char_spans_per_text(blank_extractor):
    texts = [
        "Iraqi forces retook al-Qaim.",
        "",
        "About 1,500 militants remained near Abu Kamal, the US-led coalition said.",
    ]
    results = list(blank_extractor.predict(texts, batch_size=2))
    assert len(results) == 3 and results[1] == []
    for text, spans in zip(texts, results, strict=True):
        for span in spans:
            assert set(span) == {"start", "end", "label", "score", "source"}
            assert 0 <= span["start"] < span["end"] <= len(text)
            assert text[span["start"] : span["end"]] == text[span["start"] : span["end"]].strip()
        assert all(a["end"] <= b["start"] for a, b in zip(spans, spans[1:], strict=False))
    assert [(texts[2][s["start"] : s["end"]], s["label"]) for s in results[2]] == [
        ("About 1,500 militants", "QUANTITY"),
        ("Abu Kamal", "LOCATION"),
        ("US-led coalition", "ACTOR"),
    ]


def test_a_saved_extractor_loads_with_its_patterns(blank_extractor, tmp_path):
    blank_extractor.nlp.to_disk(tmp_path / "extractor")
    reloaded = build_extractor(str(tmp_path / "extractor"))
    assert reloaded.warnings == []
    assert reloaded.nlp.pipe_names == blank_extractor.nlp.pipe_names
    assert reloaded.nlp.get_pipe(RULER).patterns == blank_extractor.nlp.get_pipe(RULER).patterns
    assert reloaded.version == blank_extractor.version
    text = "MOSUL, Iraq (Reuters) - Iraqi forces pressed Islamic State fighters in the Old City."
    assert list(reloaded.predict([text])) == list(blank_extractor.predict([text]))


def test_the_ruler_loads_fixture_patterns_in_initialize(tmp_path):
    from annotator.extraction.lexicon import read_patterns

    from .conftest import DATA

    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("span_ruler", name=RULER, config={"spans_key": "ruler", "annotate_ents": False})
    nlp.add_pipe("span_resolver", config={"sources": ["ruler"], "ner_labels": {}, "furniture_key": ""})
    ruler.initialize(lambda: [], nlp=nlp, patterns=read_patterns(["fixture_patterns.jsonl"], directory=DATA))
    nlp.to_disk(tmp_path / "p")
    loaded = spacy.load(tmp_path / "p")
    doc = loaded("A Reuters reporter saw Syrian army units leave Mosul.")
    assert [(s.text, s.label_) for s in doc.spans["extractor"]] == [("Syrian army", "ACTOR"), ("Mosul", "LOCATION")]


# -- with the pretrained pipeline ---------------------------------------------------

HARD_CASES = [
    ("The Syrian Democratic Forces (SDF) said.", [("Syrian Democratic Forces", "ACTOR"), ("SDF", "ACTOR")]),
    ("IS fighters held out in Mosul's Old City.", [("IS", "ACTOR"), ("Mosul", "LOCATION"), ("Old City", "LOCATION")]),
    ("It was a blow to IS's defeat.", [("IS", "ACTOR")]),
    ("Iraqi Prime Minister Haider al-Abadi declared victory.", [("Haider al-Abadi", "ACTOR")]),
    ('"We will win," coalition spokesman Colonel Ryan Dillon said.', [("Ryan Dillon", "ACTOR")]),
    (
        "U.S.-backed Iraqi forces pressed Islamic State fighters.",
        [("Iraqi forces", "ACTOR"), ("Islamic State", "ACTOR")],
    ),
    (
        "Syrian regime forces, pro-government forces and rebel fighters clashed with Kurdish and Arab militias.",
        [
            ("Syrian regime forces", "ACTOR"),
            ("pro-government forces", "ACTOR"),
            ("rebel fighters", "ACTOR"),
            ("Kurdish and Arab militias", "ACTOR"),
        ],
    ),
    ("The U.S.-led coalition struck, the coalition said.", [("U.S.-led coalition", "ACTOR")]),
    (
        "Russia said Iran and Russia support the government.",
        [("Russia", "LOCATION"), ("Iran", "LOCATION"), ("Russia", "LOCATION")],
    ),
    (
        "The Syrian Observatory for Human Rights, a Britain-based war monitor, watched the Iraq-Syria border.",
        [
            ("Syrian Observatory for Human Rights", "ACTOR"),
            ("Britain", "LOCATION"),
            ("Iraq", "LOCATION"),
            ("Syria", "LOCATION"),
        ],
    ),
    (
        "Fighting in western Mosul and northern Syria, not the West Bank.",
        [("Mosul", "LOCATION"), ("Syria", "LOCATION"), ("West Bank", "LOCATION")],
    ),
    (
        "Troops reached Aleppo province, Deir Ezzor Governorate, the Tigris River and the Grand al-Nuri Mosque.",
        [
            ("Aleppo province", "LOCATION"),
            ("Deir Ezzor Governorate", "LOCATION"),
            ("Tigris River", "LOCATION"),
            ("Grand al-Nuri Mosque", "LOCATION"),
        ],
    ),
    (
        "Iraqi forces retook al-Qaim and faced Abu Kamal.",
        [("Iraqi forces", "ACTOR"), ("al-Qaim", "LOCATION"), ("Abu Kamal", "LOCATION")],
    ),
    ("Militants and civilians fled as the group and the army left; Iraqi officials and Kurds told Reuters.", []),
    ("A Syrian military source told AFP and state TV the city was calm.", [("Syrian military", "ACTOR")]),
    (
        "the militant Islamic State Abu Bakr al-Baghdadi - Reuters",
        [("Islamic State", "ACTOR"), ("Abu Bakr al-Baghdadi", "ACTOR")],
    ),
]


@pytest.mark.slow
def test_the_pretrained_pipeline_runs_without_unused_components(pretrained):
    assert not set(EXCLUDED_COMPONENTS) & set(pretrained.nlp.pipe_names)
    assert pretrained.nlp.pipe_names[-1] == "span_resolver" and "ner" in pretrained.nlp.pipe_names


@pytest.mark.slow
@pytest.mark.parametrize(("text", "expected"), HARD_CASES)
def test_hard_cases_of_the_label_scheme(pretrained, text, expected):
    spans = next(pretrained.predict([text]))
    assert [(text[s["start"] : s["end"]], s["label"]) for s in spans] == expected


def _scores(extractor, documents):
    gold = [(str(i), label, start, end) for i, (_, spans) in enumerate(documents) for label, start, end in spans]
    texts = [text for text, _ in documents]
    pred = [
        (str(i), s["label"], s["start"], s["end"])
        for i, spans in enumerate(extractor.predict(texts))
        for s in spans
    ]
    return strict(gold, pred), overlap(gold, pred)


@pytest.mark.slow
def test_held_out_articles(pretrained):
    """Articles written for the tests, not seen while the rules were written (see the data file)."""
    s, o = _scores(pretrained, heldout_articles())
    assert s["micro"]["f1"] >= 0.90 and o["micro"]["f1"] >= 0.95
    assert all(v["f1"] >= 0.85 for v in s["per_label"].values())


@pytest.mark.slow
def test_seed_gold_floors(pretrained):
    files = sorted(glob.glob(str(ROOT / "fixtures" / "gold" / "*.jsonl")))
    if not files:
        pytest.skip("no seed gold yet")
    records = [json.loads(line) for path in files for line in open(path, encoding="utf8") if line.strip()]
    documents = [(r["text"], [(s["label"], s["start"], s["end"]) for s in r["spans"]]) for r in records]
    s, o = _scores(pretrained, documents)
    assert s["micro"]["f1"] >= 0.85 and o["micro"]["f1"] >= 0.92
    assert all(v["f1"] >= 0.80 for v in s["per_label"].values())
