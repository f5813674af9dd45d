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

// After the load: the browser's own scroll to the address's #section comes first (and would take the focus back).
if (document.readyState === "complete") setTimeout(showErrors, 0);
else addEventListener("load", () => setTimeout(showErrors, 0));
