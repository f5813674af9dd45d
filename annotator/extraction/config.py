"""The settings and the spaCy config of a training; pure (no Django).

`training_config` fine-tunes the pretrained pipeline's entity recogniser
(its tok2vec and entity features) on the project's labels, whatever they
are, or trains a fresh one on a blank pipeline when the pretrained one is
missing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import spacy
from thinc.api import Config

from . import pipeline as extractor_pipeline


@dataclass
class TrainingSettings:
    """The knobs of one training; all of them are part of the version's hash."""

    labels: list[str]
    base_model: str = extractor_pipeline.DEFAULT_MODEL
    seed: int = 0
    max_steps: int = 600
    max_epochs: int = 20
    eval_frequency: int = 50
    patience: int = 300
    dropout: float = 0.1
    batch_words: int = 1000
    learn_rate: float = 0.001
    from_pretrained: bool = True  # fine-tune the pretrained entity recogniser (else a fresh one)
    # Keep the pretrained recogniser's SILVER_TYPES in the training data (when it is to replace it in the rules).
    silver: bool = False

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def base_available(model: str) -> bool:
    try:
        spacy.util.get_package_path(model)
        return True
    except (ImportError, OSError, ValueError):  # not an installed package: a folder, or nothing
        return Path(model).exists()


# The config of a training: str.format fields in braces (literal braces doubled). The entity recogniser is
# either sourced from the pretrained pipeline or a fresh one (no pretrained pipeline installed).
SOURCED_NER = """
[components.ner]
source = "{base_model}"
component = "ner"
"""
FRESH_NER = """
[components.ner]
factory = "ner"
incorrect_spans_key = null
moves = null
scorer = {{"@scorers":"spacy.ner_scorer.v1"}}
update_with_oracle_cut_size = 100

[components.ner.model]
@architectures = "spacy.TransitionBasedParser.v2"
state_type = "ner"
extra_state_tokens = false
hidden_width = 64
maxout_pieces = 2
use_upper = true
nO = null

[components.ner.model.tok2vec]
@architectures = "spacy.HashEmbedCNN.v2"
pretrained_vectors = null
width = 96
depth = 4
embed_size = 2000
window_size = 1
maxout_pieces = 3
subword_features = true
"""
# One corpus reader per split (train, dev): the same reader on the split's path.
CORPUS = """
[corpora.{split}]
@readers = "spacy.Corpus.v1"
path = ${{paths.{split}}}
max_length = 0
gold_preproc = false
limit = 0
"""
CONFIG = """
[paths]
train = {train}
dev = {dev}

[system]
seed = {seed}
gpu_allocator = null

[nlp]
lang = "en"
pipeline = ["ner"]
batch_size = 64
tokenizer = {{"@tokenizers":"spacy.Tokenizer.v1"}}

[components]
{component}
[corpora]
{corpora}

[training]
seed = ${{system.seed}}
gpu_allocator = null
dropout = {dropout}
accumulate_gradient = 1
patience = {patience}
max_epochs = {max_epochs}
max_steps = {max_steps}
eval_frequency = {eval_frequency}
frozen_components = []
annotating_components = []
before_to_disk = null
before_update = null
train_corpus = "corpora.train"
dev_corpus = "corpora.dev"

[training.batcher]
@batchers = "spacy.batch_by_words.v1"
discard_oversize = false
tolerance = 0.2
get_length = null

[training.batcher.size]
@schedules = "compounding.v1"
start = 100
stop = {batch_words}
compound = 1.001
t = 0.0

[training.logger]
@loggers = "annotator.progress_logger.v1"

[training.optimizer]
@optimizers = "Adam.v1"
beta1 = 0.9
beta2 = 0.999
L2_is_weight_decay = true
L2 = 0.01
grad_clip = 1.0
use_averages = true
eps = 0.00000001
learn_rate = {learn_rate}

[training.score_weights]
ents_f = 1.0
ents_p = 0.0
ents_r = 0.0
ents_per_type = null

[initialize]
vectors = null
init_tok2vec = null
vocab_data = null
lookups = null
before_init = null
after_init = null

[initialize.components]

[initialize.tokenizer]

[annotator]
labels = {labels}
"""


def training_config(settings: TrainingSettings, train_path: str | Path = "", dev_path: str | Path = "") -> Config:
    """The spaCy config of a training (see the module docstring of extraction.training)."""
    component = SOURCED_NER.format(base_model=settings.base_model) if settings.from_pretrained else FRESH_NER.format()
    text = CONFIG.format(
        train=json.dumps(str(train_path)),
        dev=json.dumps(str(dev_path)),
        seed=int(settings.seed),
        component=component,
        corpora="".join(CORPUS.format(split=split) for split in ("train", "dev")),
        dropout=float(settings.dropout),
        patience=int(settings.patience),
        max_epochs=int(settings.max_epochs),
        max_steps=int(settings.max_steps),
        eval_frequency=int(settings.eval_frequency),
        batch_words=int(settings.batch_words),
        learn_rate=float(settings.learn_rate),
        labels=json.dumps(list(settings.labels)),
    )
    return Config().from_str(text, interpolate=False)
