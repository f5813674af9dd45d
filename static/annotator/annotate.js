// The annotation page: turn mouse selections and keys into span edits.
//
// Every edit is one POST that the server applies and answers with the new
// text (the `annotation` partial), so nothing lives only in the browser.
// Requests go one after another, each carrying the version the page last
// saw; the server refuses a stale one (409) instead of overwriting.
// Offsets are counted in code points, as Python counts them, not in the
// UTF-16 units of JavaScript strings.

const root = () => document.getElementById("annotation");
const textBox = () => document.getElementById("doc-text");
const flashBox = () => document.getElementById("flash");

let selectedId = null;
let pendingSelection = null; // {start, end} of the last text selection in the document
let queue = Promise.resolve();
let activeMs = 0;
let lastTick = Date.now();
let lastInput = Date.now();

// ---------------------------------------------------------------- time spent

// Count time only while the tab is visible and the person did something in the last minute.
setInterval(() => {
  const now = Date.now();
  if (document.visibilityState === "visible" && now - lastInput < 60000) activeMs += now - lastTick;
  lastTick = now;
}, 1000);
for (const type of ["keydown", "mousedown", "mousemove", "scroll"]) {
  addEventListener(type, () => { lastInput = Date.now(); }, { passive: true });
}

function takeElapsed() {
  const seconds = activeMs / 1000;
  activeMs = 0;
  return seconds.toFixed(1);
}

// ---------------------------------------------------------------- offsets

function codePoints(string) {
  let n = 0;
  for (const _ of string) n += 1;
  return n;
}

// The document offset of a DOM position (node, offset), or null outside the text.
function offsetOf(node, offset) {
  const box = textBox();
  if (!box || !box.contains(node)) return null;
  if (node.nodeType === Node.TEXT_NODE) {
    const holder = node.parentElement.closest("[data-o]");
    if (!holder) return null;
    return Number(holder.dataset.o) + codePoints(node.data.slice(0, offset));
  }
  // An element position: the offset before its `offset`-th child.
  const child = node.childNodes[offset];
  if (child) {
    const holder = child.nodeType === Node.ELEMENT_NODE ? (child.matches("[data-o]") ? child : child.querySelector("[data-o]")) : null;
    if (holder) return Number(holder.dataset.o);
  }
  const holders = node.querySelectorAll ? node.querySelectorAll("[data-o]") : [];
  const last = holders[holders.length - 1];
  return last ? Number(last.dataset.o) + codePoints(last.textContent) : null;
}

function selectionOffsets() {
  const selection = getSelection();
  if (!selection || selection.rangeCount === 0 || selection.isCollapsed) return null;
  const range = selection.getRangeAt(0);
  const start = offsetOf(range.startContainer, range.startOffset);
  const end = offsetOf(range.endContainer, range.endOffset);
  if (start === null || end === null || end <= start) return null;
  return { start, end };
}

function pointOffset(x, y) {
  if (document.caretPositionFromPoint) {
    const p = document.caretPositionFromPoint(x, y);
    return p ? offsetOf(p.offsetNode, p.offset) : null;
  }
  const r = document.caretRangeFromPoint && document.caretRangeFromPoint(x, y);
  return r ? offsetOf(r.startContainer, r.startOffset) : null;
}

// ---------------------------------------------------------------- requests

function flash(message, level = "error") {
  const box = flashBox();
  if (!box) return;
  box.innerHTML = "";
  if (message) {
    const p = document.createElement("p");
    p.className = `flash flash-${level}`;
    p.textContent = message;
    box.appendChild(p);
  }
}

function setSaveState(text) {
  const el = document.getElementById("save-state");
  if (el) el.textContent = text;
}

// Send one edit; edits are chained so each carries the version the previous one produced.
export function send(url, values = {}) {
  queue = queue.then(() => {
    const box = root();
    if (!box) return;
    setSaveState("Saving…");
    const body = { ...values, version: box.dataset.version, elapsed: takeElapsed() };
    return htmx.ajax("POST", url, { target: "#annotation", swap: "outerHTML", values: body }).catch(() => {
      flash("Could not reach the server: your last change was NOT saved. Check the connection and try again.");
    });
  });
  return queue;
}

function spanUrl(id, suffix = "") {
  return root().dataset.spanUrl.replace(/0\/$/, `${id}/`) + suffix;
}

// ---------------------------------------------------------------- selection of spans

function marks() {
  return Array.from(textBox()?.querySelectorAll("mark[data-span]") ?? []);
}

function selectSpan(id) {
  selectedId = id ? String(id) : null;
  for (const mark of marks()) mark.classList.toggle("selected", mark.dataset.span === selectedId);
  const tools = document.getElementById("span-tools");
  if (tools) tools.hidden = !selectedId;
  const hint = document.getElementById("hint");
  if (hint) {
    hint.textContent = selectedId
      ? "Span selected: 1-9 change label, Backspace delete, Shift+arrows resize, Esc deselect."
      : "Select text and press a label key, or click a span to change it.";
  }
  const mark = selectedMark();
  if (mark) mark.scrollIntoView({ block: "nearest" });
}

function selectedMark() {
  return selectedId ? marks().find((m) => m.dataset.span === selectedId) : null;
}

// ---------------------------------------------------------------- commands

function labelFor(key) {
  const button = document.querySelector(`.label-button[data-hotkey="${CSS.escape(key)}"]`);
  return button ? button.dataset.labelId : null;
}

function applyLabel(labelId) {
  const range = selectionOffsets() || pendingSelection;
  if (range) {
    pendingSelection = null;
    getSelection().removeAllRanges();
    send(root().dataset.addUrl, { start: range.start, end: range.end, label: labelId });
  } else if (selectedId) {
    send(spanUrl(selectedId), { label: labelId });
  } else {
    flash("Select some text first (or click a span), then choose a label.", "info");
  }
}

function deleteSelected() {
  if (!selectedId) return;
  const id = selectedId;
  selectSpan(null);
  send(spanUrl(id, "delete/"));
}

function stepSelected(edge, direction) {
  if (selectedId) send(spanUrl(selectedId), { step: `${edge}:${direction}` });
}

function moveSelection(direction) {
  const all = marks();
  if (all.length === 0) return;
  const index = all.findIndex((m) => m.dataset.span === selectedId);
  const next = index === -1 ? (direction > 0 ? 0 : all.length - 1) : Math.min(Math.max(index + direction, 0), all.length - 1);
  selectSpan(all[next].dataset.span);
}

// Steps that need a yes first: reopening submitted work, and accepting a review that removes gold spans.
function confirmed(name) {
  const box = root();
  if (name === "reopen") {
    return confirm("Reopen this submitted work to change it? It leaves the review queue until it is submitted again (Ctrl+Z undoes the reopen).") ? {} : null;
  }
  if (name === "skip") {
    return confirm("Skip this document? It goes back to the pool for others, and you get the next one.") ? {} : null;
  }
  if (name === "submit" && box && Number(box.dataset.removes || 0) > 0) {
    return confirm(`Accepting removes or relabels ${box.dataset.removes} span(s) of the current gold (${box.dataset.changes}). Accept?`) ? { confirm: 1 } : null;
  }
  return {};
}

function submitForm(name) {
  const form = document.querySelector(`form[data-command-form="${name}"]`);
  if (!form) return;
  const extra = confirmed(name);
  if (extra) send(form.action, extra);
}

function toggleHelp() {
  const dialog = document.getElementById("keys-dialog");
  if (dialog.open) dialog.close();
  else dialog.showModal();
}

// ---------------------------------------------------------------- events

function onKeyDown(event) {
  const target = event.target;
  if (target.closest && target.closest("input, textarea, select, dialog[open]") && event.key !== "?") return;
  const key = event.key;
  if ((event.ctrlKey || event.metaKey) && key.toLowerCase() === "z") {
    event.preventDefault();
    send(root().dataset.undoUrl);
    return;
  }
  if (event.ctrlKey || event.metaKey) return;
  if (key === "?") {
    event.preventDefault();
    toggleHelp();
  } else if (/^[1-9]$/.test(key) && !event.altKey) {
    const labelId = labelFor(key);
    if (labelId) {
      event.preventDefault();
      applyLabel(labelId);
    }
  } else if (key === "Backspace" || key === "Delete") {
    if (selectedId) {
      event.preventDefault();
      deleteSelected();
    }
  } else if (key === "Escape") {
    selectSpan(null);
    pendingSelection = null;
  } else if (key === "Enter" && !event.shiftKey && !target.closest("button, a, summary")) {
    event.preventDefault();
    submitForm("submit");
  } else if ((key === "R" || (key === "r" && !root()?.dataset.resolveUrl)) && !event.altKey) {
    if (document.querySelector('form[data-command-form="reopen"]')) {
      event.preventDefault();
      submitForm("reopen");
    }
  } else if (key === "B" && !event.altKey && document.querySelector('form[data-command-form="rebuild"]')) {
    event.preventDefault();
    submitForm("rebuild");
  } else if ((key === "ArrowLeft" || key === "ArrowRight") && selectedId) {
    const direction = key === "ArrowRight" ? 1 : -1;
    event.preventDefault();
    if (event.shiftKey && event.altKey) stepSelected("start", -direction);
    else if (event.shiftKey) stepSelected("end", direction);
    else moveSelection(direction);
  } else if ((key === "ArrowLeft" || key === "ArrowRight") && !selectedId && !event.shiftKey) {
    const all = marks();
    if (all.length && !selectionOffsets()) {
      event.preventDefault();
      moveSelection(key === "ArrowRight" ? 1 : -1);
    }
  }
}

let drag = null; // {id, edge} while an edge handle is dragged

function onMouseDown(event) {
  const handle = event.target.closest(".handle");
  if (handle && textBox()?.contains(handle)) {
    const mark = handle.closest("mark[data-span]");
    drag = { id: mark.dataset.span, edge: handle.dataset.edge };
    selectSpan(drag.id);
    document.body.classList.add("dragging");
    event.preventDefault();
  }
}

function onMouseUp(event) {
  if (drag) {
    const { id, edge } = drag;
    drag = null;
    document.body.classList.remove("dragging");
    const offset = pointOffset(event.clientX, event.clientY);
    const mark = marks().find((m) => m.dataset.span === id);
    if (offset === null || !mark) return;
    const start = Number(mark.dataset.start);
    const end = Number(mark.dataset.end);
    if (edge === "end" && offset > start && offset !== end) send(spanUrl(id), { end: offset });
    if (edge === "start" && offset < end && offset !== start) send(spanUrl(id), { start: offset });
    return;
  }
  const range = selectionOffsets();
  if (range) {
    pendingSelection = range;
    selectSpan(null);
    return;
  }
  const mark = event.target.closest && event.target.closest("mark[data-span]");
  if (mark && textBox()?.contains(mark)) selectSpan(mark.dataset.span);
  else if (textBox()?.contains(event.target)) selectSpan(null);
}

function onClick(event) {
  const labelButton = event.target.closest(".label-button");
  if (labelButton) {
    applyLabel(labelButton.dataset.labelId);
    return;
  }
  const pick = event.target.closest("[data-select]");
  if (pick) {
    selectSpan(pick.dataset.select);
    return;
  }
  const command = event.target.closest("[data-command]");
  if (!command) return;
  const name = command.dataset.command;
  if (name === "undo") send(root().dataset.undoUrl);
  else if (name === "delete") deleteSelected();
  else if (name === "help") toggleHelp();
}

function onSubmit(event) {
  const form = event.target.closest("form[data-command-form]");
  if (!form) return;
  event.preventDefault();
  submitForm(form.dataset.commandForm);
}

// Keep the label buttons from taking the text selection away on mousedown.
function keepSelection(event) {
  if (event.target.closest(".label-button")) event.preventDefault();
}

document.addEventListener("keydown", onKeyDown);
document.addEventListener("mousedown", onMouseDown);
document.addEventListener("mousedown", keepSelection);
document.addEventListener("mouseup", onMouseUp);
document.addEventListener("click", onClick);
document.addEventListener("submit", onSubmit);

// Errors come back as a flash fragment with 4xx: show it instead of dropping it.
document.addEventListener("htmx:beforeSwap", (event) => {
  const status = event.detail.xhr.status;
  if (status === 409 || status === 422 || status === 400) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
    setSaveState(status === 409 ? "Not saved: changed elsewhere" : "Saved");
  } else if (status >= 500) {
    flash(`The server failed (${status}): your last change was NOT saved.`);
  }
});

document.addEventListener("htmx:afterSwap", (event) => {
  const box = root();
  if (!box || event.detail.target.id === "flash") return;
  flash("");
  for (const field of document.querySelectorAll(".version-field")) field.value = box.dataset.version;
  selectSpan(box.dataset.selected || (selectedId && marks().some((m) => m.dataset.span === selectedId) ? selectedId : null));
});
