// A document opened read-only: S starts annotating it (the same as the Start button);
// [ and ] open the previous and next document of the list.
document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  if (event.target.closest && event.target.closest("input, textarea, select, dialog[open]")) return;
  if (event.key === "s" || event.key === "S") {
    const form = document.getElementById("start-form");
    if (form) {
      event.preventDefault();
      form.requestSubmit();
    }
  } else if (event.key === "[" || event.key === "]") {
    const link = document.querySelector(`.doc-nav a[rel="${event.key === "]" ? "next" : "prev"}"]`);
    if (link) {
      event.preventDefault();
      location.assign(link.href);
    }
  }
});
