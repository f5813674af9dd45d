"""End to end with the commands, in processes of their own: a second process loads the trained version from the database."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import synthetic_records

ROOT = Path(__file__).resolve().parents[2]


def manage(env, *args, timeout=600) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@pytest.mark.slow
def test_train_in_one_process_and_predict_with_the_version_in_another(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "MODEL_CACHE_DIR")}
    env.update(ANNOTATOR_VAR_DIR=str(tmp_path / "var"), MODEL_CACHE_DIR=str(tmp_path / "cache-a"), TASKS_BACKEND="immediate")
    gold = tmp_path / "gold.jsonl"
    with gold.open("w") as out:
        for i, (text, spans) in enumerate(synthetic_records(16, seed=2)):
            out.write(json.dumps({"id": f"d{i}", "text": text, "spans": spans}) + "\n")
    manage(env, "migrate", "--verbosity", "0")
    assert "WEAPON (1), PLACE (2), GROUP (3)" in manage(env, "create_project", "--project", "weapons", "--labels", "WEAPON,PLACE,GROUP")
    manage(env, "import_docs", str(gold), "--project", "weapons")
    # The real thing: the pretrained recogniser fine-tuned from a spaCy config, a few steps.
    result = json.loads(manage(env, "train", "--project", "weapons", "--max-steps", "60", "--json", "--promote").strip().splitlines()[-1])
    version = result["version"]
    assert result["promoted"] and result["dev"]["micro"]["f1"] > result["current"]["micro"]["f1"] == 0.0
    assert not (tmp_path / "cache-b").exists()

    # Another process with a cold cache: the bytes come from the database.
    other = dict(env, MODEL_CACHE_DIR=str(tmp_path / "cache-b"))
    texts = tmp_path / "texts.jsonl"
    texts.write_text(json.dumps({"id": "new", "text": "In Tarsk, Red Brigade fired drones at the market."}) + "\n")
    manage(other, "extract", "--model", version, "--input", str(texts), "--output", str(tmp_path / "out.jsonl"))
    (line,) = [json.loads(l) for l in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert line["meta"]["model"] == version
    assert {s["label"] for s in line["spans"]} <= {"WEAPON", "PLACE", "GROUP"} and line["spans"]
    assert any((tmp_path / "cache-b").iterdir())
    # New documents are predicted with the promoted version.
    assert f"16 documents predicted with {version}" in manage(other, "predict", "--project", "weapons")
