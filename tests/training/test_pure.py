"""The pure parts of training: the split, the curve's parts, cutting documents, the config, the verdict."""

import pytest
from thinc.api import Config

from annotator.extraction import training as pure


def test_split_is_disjoint_seeded_and_stable_as_the_gold_grows():
    keys = [f"doc{i}" for i in range(400)]
    train, dev = pure.split_documents(keys, 0.2, seed=3)
    assert not set(train) & set(dev)
    assert sorted(train + dev) == sorted(keys)
    assert 55 <= len(dev) <= 105  # about a fifth
    assert pure.split_documents(list(reversed(keys)), 0.2, seed=3) == (train, dev)
    assert set(pure.split_documents(keys, 0.2, seed=4)[1]) != set(dev)
    # A hundred more documents: no old document changes side.
    more_train, more_dev = pure.split_documents(keys + [f"new{i}" for i in range(100)], 0.2, seed=3)
    assert set(dev) <= set(more_dev) and set(train) <= set(more_train)


def test_split_keeps_one_document_on_each_side():
    assert pure.split_documents(["a", "b"], 0.01) [1] and pure.split_documents(["a", "b"], 0.99)[0]
    assert pure.split_documents(["a"], 0.2) == (["a"], [])
    with pytest.raises(ValueError):
        pure.split_documents(["a", "b"], 1.0)


def test_curve_parts_are_nested_and_sized_by_fraction():
    train = [f"d{i}" for i in range(40)]
    parts = pure.curve_subsets(train, seed=1)
    assert [len(p) for p in parts] == [10, 20, 30, 40]
    for small, big in zip(parts, parts[1:]):
        assert set(small) < set(big)
    assert sorted(parts[-1]) == sorted(train)


def test_cut_examples_never_cuts_a_span_and_keeps_offsets():
    text = "First line about Mosul.\n\nA span across\nthe line here.\n\n" + "Word. " * 500
    spans = [
        {"start": 17, "end": 22, "label": "LOCATION"},
        {"start": 27, "end": 45, "label": "X"},  # "span across\nthe li": crosses a newline
    ]
    parts = pure.cut_examples(text, spans, max_chars=400)
    assert len(parts) > 3
    assert all(len(chunk) <= 800 for chunk, _ in parts[2:])
    found = [(chunk[s["start"] : s["end"]], s["label"]) for chunk, ss in parts for s in ss]
    assert found == [("Mosul", "LOCATION"), (text[27:45], "X")]
    assert "".join(chunk for chunk, _ in parts).replace(" ", "").replace("\n", "") == text.replace(" ", "").replace("\n", "")


def test_to_docs_widens_spans_to_tokens_and_drops_overlaps():
    import spacy

    nlp = spacy.blank("en")
    converted = pure.to_docs(
        nlp,
        [("k", "Rebels took Karvan.", [
            {"start": 0, "end": 5, "label": "GROUP"},  # "Rebel" of "Rebels": widened
            {"start": 3, "end": 8, "label": "GROUP"},  # overlaps the first: dropped
            {"start": 12, "end": 18, "label": "PLACE"},
        ])],
        cut=False,
    )
    (doc,) = converted.docs
    assert [(e.text, e.label_) for e in doc.ents] == [("Rebels", "GROUP"), ("Karvan", "PLACE")]
    assert len(converted.dropped) == 1


def test_config_names_the_labels_and_the_training_knobs():
    settings = pure.TrainingSettings(labels=["WEAPON", "PLACE"], seed=7, max_steps=123)
    config = pure.training_config(settings, "/t/train.spacy", "/t/dev.spacy")
    assert isinstance(config, Config)
    assert config["components"]["ner"]["source"] == settings.base_model
    assert config["training"]["max_steps"] == 123 and config["system"]["seed"] == 7
    assert config["training"]["logger"]["@loggers"] == "annotator.progress_logger.v1"
    assert config["annotator"]["labels"] == ["WEAPON", "PLACE"]
    fresh = pure.training_config(pure.TrainingSettings(labels=["A"], from_pretrained=False))
    assert fresh["components"]["ner"]["factory"] == "ner" and "source" not in fresh["components"]["ner"]


def test_verdict_says_more_gold_helps_only_past_one_point():
    points = [{"documents": 10, "f1": 0.5}, {"documents": 20, "f1": 0.6}, {"documents": 30, "f1": 0.65}]
    assert pure.curve_verdict(points)["more_gold_helps"] is True
    flat = points + [{"documents": 40, "f1": 0.655}]
    verdict = pure.curve_verdict(flat)
    assert verdict["more_gold_helps"] is False and "flattened" in verdict["text"]
    assert pure.curve_verdict(points[:1])["more_gold_helps"] is None


def test_only_the_default_labels_use_the_rules():
    assert pure.uses_rules(["ACTOR", "LOCATION", "QUANTITY"])
    assert pure.uses_rules(["ACTOR"])
    assert not pure.uses_rules(["ACTOR", "WEAPON"])
    assert not pure.uses_rules([])
