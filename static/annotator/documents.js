// The document list: the header checkbox checks or clears every row of the page.
const all = document.getElementById("check-all");
if (all) {
  all.addEventListener("change", () => {
    for (const box of document.querySelectorAll('#bulk-form input[name="doc"]')) box.checked = all.checked;
  });
}
