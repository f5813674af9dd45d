// A document opened read-only: S starts annotating it (the same as the Start button).
document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  if (event.target.closest && event.target.closest("input, textarea, select, dialog[open]")) return;
  if (event.key === "s" || event.key === "S") {
    const form = document.getElementById("start-form");
    if (form) {
      event.preventDefault();
      form.requestSubmit();
    }
  }
});
