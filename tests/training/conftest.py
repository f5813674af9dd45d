"""Small gold sets for training tests: templated sentences with custom labels (WEAPON, PLACE, GROUP)."""

import random

import pytest

from annotator.models import Document, GoldSpan
from annotator.services.projects import create_project
from tests.conftest import make_document

GROUPS = ["the Northern Front", "Red Brigade", "the Coastal Militia", "Union Guard", "the Hill Battalion", "Delta Group"]
PLACES = ["Karvan", "Lethbridge", "Ostrava", "Mirtown", "Belhaven", "Tarsk", "Quellport", "Dunmore"]
WEAPONS = ["mortars", "rockets", "drones", "artillery", "sniper rifles", "grenades"]
TEMPLATES = [
    "{GROUP} shelled {PLACE} with {WEAPON} on Monday.",
    "Witnesses said {GROUP} used {WEAPON} near {PLACE}.",
    "In {PLACE}, {GROUP} fired {WEAPON} at the market.",
    "{WEAPON} were seized from {GROUP} outside {PLACE}.",
]


def sentence(rng: random.Random) -> tuple[str, list[dict]]:
    template = rng.choice(TEMPLATES)
    text, spans, rest = "", [], template
    while "{" in rest:
        before, _, after = rest.partition("{")
        label, _, rest = after.partition("}")
        text += before
        value = rng.choice({"GROUP": GROUPS, "PLACE": PLACES, "WEAPON": WEAPONS}[label])
        if not text:
            value = value[0].upper() + value[1:]
        spans.append({"start": len(text), "end": len(text) + len(value), "label": label})
        text += value
    return text + rest, spans


def synthetic_records(n: int, seed: int = 0, sentences: int = 4) -> list[tuple[str, list[dict]]]:
    """`n` documents of `sentences` paragraphs each, with their gold spans."""
    rng = random.Random(seed)
    records = []
    for i in range(n):
        text, spans = f"Report {i}\n\n", []
        for _ in range(sentences):
            part, part_spans = sentence(rng)
            spans.extend({**s, "start": s["start"] + len(text), "end": s["end"] + len(text)} for s in part_spans)
            text += part + "\n\n"
        records.append((text.strip() + "\n", spans))
    return records


def add_gold(project, records):
    from django.utils import timezone

    labels = {label.name: label for label in project.labels.all()}
    documents = []
    for i, (text, spans) in enumerate(records):
        document = make_document(project, text=text, order=i, gold_at=timezone.now())
        GoldSpan.objects.bulk_create(
            GoldSpan(document=document, label=labels[s["label"]], start=s["start"], end=s["end"]) for s in spans
        )
        documents.append(document)
    return documents


@pytest.fixture
def custom_project(db):
    return create_project("weapons", ["WEAPON", "PLACE", "GROUP"], name="Weapons")


@pytest.fixture
def quick_training(settings, tmp_path):
    """Training without the pretrained pipeline (a fresh recogniser): seconds, not tens of seconds."""
    settings.TRAIN_FROM_PRETRAINED = False
    settings.MODEL_CACHE_DIR = tmp_path / "models"
    return settings


__all__ = ["Document", "add_gold", "synthetic_records"]
