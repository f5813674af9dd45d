"""Writes: projects, import, prediction, span edits, submission.

Every function that changes stored data runs in one transaction, so a
failure leaves the database as it was. Views, commands and tasks import
from here; the modules are split by what they write.
"""

from .history import EditRefused, StaleEdit
from .editing import (
    SlotTaken,
    add_span,
    change_span,
    delete_span,
    reopen,
    skip,
    start_annotation,
    submit,
    undo,
)
from .exports import ExportResult, download, export_layer
from .imports import (
    LAYERS,
    ImportResult,
    import_file,
    import_upload,
    import_records,
)
from .reading import read_records
from .prediction import (
    get_extractor,
    predict_documents,
    register_extractor,
    store_predictions,
)
from .projects import DEFAULT_LABELS, add_member, delete_label, ensure_project, remove_member, reset_work_order
from .assignment import ClaimRefused, claim_document, claim_next, has_open_slot
from ..selectors.review import GOLD, review_state  # the review page's read, kept at hand beside its writes
from .review import accept, rebuild, resolve, start_review

__all__ = [
    "DEFAULT_LABELS",
    "LAYERS",
    "EditRefused",
    "ExportResult",
    "ImportResult",
    "SlotTaken",
    "StaleEdit",
    "add_span",
    "change_span",
    "delete_span",
    "download",
    "ensure_project",
    "export_layer",
    "get_extractor",
    "import_file",
    "import_upload",
    "import_records",
    "predict_documents",
    "read_records",
    "register_extractor",
    "skip",
    "start_annotation",
    "store_predictions",
    "submit",
    "undo",
    "add_member",
    "delete_label",
    "remove_member",
    "reset_work_order",
    "claim_next",
    "claim_document",
    "ClaimRefused",
    "reopen",
    "rebuild",
    "GOLD",
    "has_open_slot",
    "accept",
    "resolve",
    "review_state",
    "start_review",
]
