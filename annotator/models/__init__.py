"""The data model: projects, documents and the three layers of spans on them.

A document's spans live in separate layers that are never mixed:
predictions (what an extractor version suggested, never edited),
annotations (one per annotator per document, every edit logged) and gold
(the adjudicated spans). Offsets are character offsets (Python str indices,
end exclusive) into the immutable document text.

The tables live in four modules by what they hold: `projects` (projects,
members, labels, documents, batches, assignments), `layers` (the spans of
each layer and their histories) and `runs` (what is computed and stored:
evaluation, background and training runs, score snapshots); `summaries` holds
what database triggers keep up to date for the pages that count (annotator.db.summaries). Import them from
`annotator.models`, their one public home.
"""

from .projects import (
    content_hash,
    Project,
    Membership,
    Label,
    TokensField,
    Document,
    ImportBatch,
    Assignment,
)
from .layers import (
    SpanBase,
    ExtractorVersion,
    Prediction,
    PredictedSpan,
    Annotation,
    AnnotationSpan,
    GoldSpan,
    AppendOnly,
    GoldRevision,
    GoldChange,
    EditEvent,
)
from .runs import (
    EvaluationRun,
    TaskRun,
    RunChunk,
    StoredPipeline,
    TrainingRun,
    ScoreSnapshot,
)
from .summaries import AnnotatorSummary, DocumentMeta, DocumentSummary, StateCount

__all__ = [
    "content_hash",
    "Project",
    "Membership",
    "Label",
    "TokensField",
    "Document",
    "ImportBatch",
    "Assignment",
    "SpanBase",
    "ExtractorVersion",
    "Prediction",
    "PredictedSpan",
    "Annotation",
    "AnnotationSpan",
    "GoldSpan",
    "AppendOnly",
    "GoldRevision",
    "GoldChange",
    "EditEvent",
    "EvaluationRun",
    "TaskRun",
    "RunChunk",
    "StoredPipeline",
    "TrainingRun",
    "ScoreSnapshot",
    "DocumentSummary",
    "AnnotatorSummary",
    "StateCount",
    "DocumentMeta",
]
