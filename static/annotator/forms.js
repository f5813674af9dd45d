// Pages with forms: after a refused form, bring its errors into view and put the focus on them;
// a form with data-confirm asks first (deleting a label, removing a member).
function showErrors() {
  const summary = document.querySelector("[data-first-error]");
  if (!summary) return;
  summary.closest("details")?.setAttribute("open", "");
  summary.scrollIntoView({ block: "center" });
  summary.focus({ preventScroll: true });
}

document.addEventListener("submit", (event) => {
  const message = event.target.dataset?.confirm;
  if (message && !confirm(message)) event.preventDefault();
});

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", showErrors);
else showErrors();
