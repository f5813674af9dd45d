// The colour theme: the system's (prefers-color-scheme) unless the person chose light or dark.
// Loaded in <head> without defer so the page never flashes the wrong colours.
(() => {
  const KEY = "annotator-theme";
  const NAMES = { auto: "auto", light: "light", dark: "dark" };
  const apply = (theme) => {
    if (theme === "light" || theme === "dark") document.documentElement.dataset.theme = theme;
    else delete document.documentElement.dataset.theme;
    const button = document.getElementById("theme-toggle");
    if (button) button.querySelector(".theme-name").textContent = NAMES[theme] || NAMES.auto;
  };
  let theme = null;
  try { theme = localStorage.getItem(KEY); } catch (error) { theme = null; }
  apply(theme);
  document.addEventListener("DOMContentLoaded", () => {
    apply(theme);
    document.getElementById("theme-toggle")?.addEventListener("click", () => {
      theme = theme === "dark" ? "light" : theme === "light" ? "auto" : "dark";
      try { localStorage.setItem(KEY, theme); } catch (error) { /* private mode: this page only */ }
      apply(theme);
    });
  });
})();
