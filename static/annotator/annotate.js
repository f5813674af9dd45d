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

// ---------------------------------------------------------------- caret mode (making a span without a mouse)
//
// c (or F7) enters it: a word of the text is highlighted as the browser's
// selection; ← / → move it a word, Shift+← / Shift+→ extend or shrink it a
// word at a time, a label key makes the span, Esc leaves. The server snaps
// the offsets to its own tokens, as it does for a mouse selection.

let caret = null; // {words: [[start, end] in code points], anchor, focus} (word indices) while in caret mode

function textWords() {
  // The server's own tokens (the ones it snaps spans to), when the page has them.
  const stored = document.getElementById("doc-tokens");
  if (stored) {
    try {
      const tokens = JSON.parse(stored.textContent);
      if (Array.isArray(tokens) && tokens.length) return tokens.map((t) => [Number(t[0]), Number(t[1])]);
    } catch (error) { /* fall back to words found here */ }
  }
  const words = [];
  let text = "";
  for (const holder of textBox()?.querySelectorAll("[data-o]") ?? []) text += holder.textContent;
  const pattern = /[\p{L}\p{N}]+(?:['’.-][\p{L}\p{N}]+)*|\S/gu;
  let units = 0; // UTF-16 units before `points`
  let points = 0;
  for (const match of text.matchAll(pattern)) {
    points += codePoints(text.slice(units, match.index));
    const length = codePoints(match[0]);
    words.push([points, points + length]);
    points += length;
    units = match.index + match[0].length;
  }
  return words;
}

// The DOM position of a document offset (code points), for the browser's selection.
function domPosition(offset) {
  const holders = Array.from(textBox()?.querySelectorAll("[data-o]") ?? []);
  for (let i = holders.length - 1; i >= 0; i -= 1) {
    const start = Number(holders[i].dataset.o);
    if (start <= offset) {
      const node = holders[i].firstChild;
      if (!node) return null;
      let units = 0;
      let left = offset - start;
      for (const character of node.data) {
        if (left <= 0) break;
        units += character.length;
        left -= 1;
      }
      return { node, offset: Math.min(units, node.data.length) };
    }
  }
  return null;
}

function showCaret() {
  const first = Math.min(caret.anchor, caret.focus);
  const last = Math.max(caret.anchor, caret.focus);
  const from = domPosition(caret.words[first][0]);
  const to = domPosition(caret.words[last][1]);
  if (!from || !to) return;
  const range = document.createRange();
  range.setStart(from.node, from.offset);
  range.setEnd(to.node, to.offset);
  const selection = getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
  pendingSelection = { start: caret.words[first][0], end: caret.words[last][1] };
  const rect = range.getBoundingClientRect();
  if (rect.top < 0 || rect.bottom > innerHeight) from.node.parentElement.scrollIntoView({ block: "center" });
  const hint = document.getElementById("hint");
  if (hint) hint.textContent = `Caret: “${range.toString()}”. ←/→ move a word, Shift+←/→ extend, 1-9 make the span, Esc leave.`;
}

function enterCaretMode() {
  const words = textWords();
  if (words.length === 0) return;
  // Start after the selected span, or at the first word in view.
  const mark = selectedMark();
  let index = 0;
  if (mark) {
    const end = Number(mark.dataset.end);
    index = Math.max(0, words.findIndex((w) => w[0] >= end));
  } else {
    const top = textBox().getBoundingClientRect().top;
    if (top < 0) {
      const at = pointOffset(textBox().getBoundingClientRect().left + 20, 40);
      if (at !== null) index = Math.max(0, words.findIndex((w) => w[1] > at));
    }
  }
  selectSpan(null);
  caret = { words, anchor: index, focus: index };
  document.body.classList.add("caret-mode");
  textBox().setAttribute("aria-describedby", "hint");
  showCaret();
}

function leaveCaretMode(clear = true) {
  if (!caret) return;
  caret = null;
  document.body.classList.remove("caret-mode");
  if (clear) {
    getSelection().removeAllRanges();
    pendingSelection = null;
    selectSpan(selectedId);
  }
}

function moveCaret(direction, extend) {
  const last = caret.words.length - 1;
  if (extend) {
    caret.focus = Math.min(Math.max(caret.focus + direction, 0), last);
  } else {
    const from = direction > 0 ? Math.max(caret.anchor, caret.focus) : Math.min(caret.anchor, caret.focus);
    caret.anchor = caret.focus = Math.min(Math.max(from + direction, 0), last);
  }
  showCaret();
}

// ---------------------------------------------------------------- requests

// The message region is fixed at the bottom of the window (app.css), so a message is seen wherever the page is scrolled.
export function flash(message, level = "error") {
  const box = flashBox();
  if (!box) return;
  box.innerHTML = "";
  if (message) {
    const p = document.createElement("p");
    p.className = `flash flash-${level}`;
    p.setAttribute("role", level === "error" ? "alert" : "status");
    p.textContent = message;
    box.appendChild(p);
    addCloseButton(p);
  }
}

function addCloseButton(p) {
  if (p.querySelector(".flash-close")) return;
  const close = document.createElement("button");
  close.type = "button";
  close.className = "flash-close";
  close.setAttribute("aria-label", "Dismiss the message");
  close.textContent = "×";
  close.addEventListener("click", () => p.remove());
  p.appendChild(close);
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
  if (mark) {
    mark.scrollIntoView({ block: "nearest" });
    // Keyboard users follow the selection with the focus (spans are in the Tab order).
    const active = document.activeElement;
    if (active !== mark && (active === document.body || active?.matches?.("mark[data-span]"))) mark.focus({ preventScroll: true });
  }
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
    // The selection stays until the new text arrives: after a refusal it is still there to try again.
    pendingSelection = range;
    leaveCaretMode(false);
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
  if (!extra) return;
  if (name === "skip") {
    // Said on the next page (the server answers with a redirect to it).
    const title = document.querySelector(".doc-title")?.textContent.trim() ?? "the document";
    try {
      sessionStorage.setItem("annotator-said", `Skipped “${title}”: it went back to the pool for others. This is the next document for you.`);
    } catch (error) { /* storage refused: no message */ }
  }
  send(form.action, extra);
}

// A message left by the previous page (after Skip), shown once.
function sayLeftMessage() {
  let said = null;
  try {
    said = sessionStorage.getItem("annotator-said");
    sessionStorage.removeItem("annotator-said");
  } catch (error) { said = null; }
  if (said) flash(said, "info");
}

function goToNeighbour(which) {
  const link = document.querySelector(`.doc-nav a[rel="${which}"]`);
  if (link) location.assign(link.href);
  else flash(which === "next" ? "This is the last document of the list." : "This is the first document of the list.", "info");
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
  if (caret) {
    if (key === "ArrowLeft" || key === "ArrowRight") {
      event.preventDefault();
      moveCaret(key === "ArrowRight" ? 1 : -1, event.shiftKey);
      return;
    }
    if (key === "Escape" || key === "F7" || key === "Tab") {
      if (key !== "Tab") event.preventDefault();
      leaveCaretMode();
      return;
    }
  }
  if (key === "F7" || (key === "c" && !event.altKey && !root()?.dataset.resolveUrl)) {
    event.preventDefault();
    enterCaretMode();
    return;
  }
  if ((key === "[" || key === "]") && !event.altKey) {
    event.preventDefault();
    goToNeighbour(key === "]" ? "next" : "prev");
    return;
  }
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
    if (document.activeElement?.matches?.("mark[data-span]")) document.activeElement.blur();
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
    if (event.shiftKey && event.altKey) stepSelected("start", direction); // ← moves the start left (widens)
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

// Tab onto a span selects it, so its label keys, resize and delete apply to it.
function onFocusIn(event) {
  const mark = event.target.closest && event.target.closest("mark[data-span]");
  if (mark && textBox()?.contains(mark) && mark.dataset.span !== selectedId) {
    leaveCaretMode();
    selectSpan(mark.dataset.span);
  }
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
document.addEventListener("focusin", onFocusIn);
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

let focusWasInText = false;
document.addEventListener("htmx:beforeSwap", () => {
  focusWasInText = Boolean(document.activeElement?.closest?.("#annotation")) || document.activeElement === document.body;
});

document.addEventListener("htmx:afterSwap", (event) => {
  const box = root();
  if (event.detail.target.id === "flash") {
    for (const p of event.detail.target.querySelectorAll(".flash")) {
      p.setAttribute("role", p.classList.contains("flash-error") ? "alert" : "status");
      addCloseButton(p);
    }
    // The refused selection is still there: show it again (caret mode kept it too).
    if (pendingSelection && getSelection().isCollapsed) {
      const from = domPosition(pendingSelection.start);
      const to = domPosition(pendingSelection.end);
      if (from && to) {
        const range = document.createRange();
        range.setStart(from.node, from.offset);
        range.setEnd(to.node, to.offset);
        getSelection().addRange(range);
      }
    }
    return;
  }
  if (!box) return;
  flash("");
  pendingSelection = null;
  leaveCaretMode(false);
  for (const field of document.querySelectorAll(".version-field")) field.value = box.dataset.version;
  const keep = box.dataset.selected || (selectedId && marks().some((m) => m.dataset.span === selectedId) ? selectedId : null);
  selectSpan(keep);
  if (focusWasInText && selectedMark()) selectedMark().focus({ preventScroll: true });
});

sayLeftMessage();
