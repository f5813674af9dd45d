// The review page: settle each disagreement with one key.
//
// j / k move between disagreements (↓ / ↑ scroll the page, as everywhere); the letter of an annotator
// takes their version, n takes neither, e keeps the gold as edited in the
// text. Each choice is one saved, versioned edit, sent through the same
// queue as the span edits of annotate.js.

import { send } from "./annotate.js";

let focusKey = null;

const conflicts = () => Array.from(document.querySelectorAll("#conflicts li[data-conflict]"));
const root = () => document.getElementById("annotation");

function focusConflict(key) {
  const all = conflicts();
  if (all.length === 0) return;
  const target = all.find((li) => li.dataset.conflict === key) ?? all.find((li) => !li.classList.contains("resolved")) ?? all[0];
  focusKey = target.dataset.conflict;
  for (const li of all) li.classList.toggle("focused", li === target);
  target.scrollIntoView({ block: "nearest" });
}

function move(direction) {
  const all = conflicts();
  if (all.length === 0) return;
  const index = all.findIndex((li) => li.dataset.conflict === focusKey);
  const next = all[Math.min(Math.max(index + direction, 0), all.length - 1)];
  focusConflict(next.dataset.conflict);
}

function choose(conflictKey, choice) {
  focusKey = conflictKey;
  send(root().dataset.resolveUrl, { conflict: conflictKey, choice }).then(() => {
    // Move on to the next disagreement still open.
    const open = conflicts().find((li) => !li.classList.contains("resolved"));
    focusConflict(open ? open.dataset.conflict : focusKey);
  });
}

document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  if (event.target.closest && event.target.closest("input, textarea, select, dialog[open]")) return;
  const key = event.key;
  if (key === "j") {
    event.preventDefault();
    move(1);
  } else if (key === "k") {
    event.preventDefault();
    move(-1);
  } else if (/^[a-z]$/.test(key) && focusKey) {
    const li = conflicts().find((c) => c.dataset.conflict === focusKey);
    const option = key === "n" ? "neither" : key === "e" ? "keep" : li?.querySelector(`[data-key="${key}"]`)?.dataset.choice;
    if (option) {
      event.preventDefault();
      choose(focusKey, option);
    }
  }
});

document.addEventListener("click", (event) => {
  const button = event.target.closest("#conflicts [data-choice]");
  if (!button) return;
  choose(button.closest("li[data-conflict]").dataset.conflict, button.dataset.choice);
});

document.addEventListener("htmx:afterSwap", () => focusConflict(focusKey));
focusConflict(null);
