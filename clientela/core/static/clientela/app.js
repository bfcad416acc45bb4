// Keyboard comfort: Ctrl/Cmd+Enter submits the form you are typing in; Esc closes dropdowns.
document.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
    const form = event.target.closest && event.target.closest("form");
    if (form) { event.preventDefault(); form.requestSubmit(); }
  }
});

// "/" focuses the page's search box (lists), unless you are already typing somewhere.
document.addEventListener("keydown", (event) => {
  if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
  const target = event.target;
  if (target && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName))) return;
  const search = document.querySelector("[data-search-shortcut]");
  if (search) { event.preventDefault(); search.focus(); search.select(); }
});

// Invalid form answers (422) carry the form with its field errors: let htmx show them.
document.addEventListener("DOMContentLoaded", () => {
  if (window.htmx) {
    htmx.config.responseHandling = [
      { code: "204", swap: false },
      { code: "[23]..", swap: true },
      { code: "422", swap: true },
      { code: "[45]..", swap: false, error: true },
    ];
  }
});

// Destructive buttons ask first: <button data-confirm="Sure?">.
document.addEventListener("click", (event) => {
  const button = event.target.closest && event.target.closest("[data-confirm]");
  if (button && !window.confirm(button.dataset.confirm)) {
    event.preventDefault();
    event.stopImmediatePropagation();
  }
}, true);

// Lists: a click on a row opens its card; checkboxes select rows for bulk actions.
document.addEventListener("click", (event) => {
  const row = event.target.closest && event.target.closest("tr[data-href]");
  if (!row || event.target.closest("a, button, input, label, select")) return;
  if (window.getSelection && String(window.getSelection())) return;
  window.location.href = row.dataset.href;
});

function updateBulk() {
  const checks = document.querySelectorAll("[data-row-check]");
  const checked = Array.from(checks).filter((box) => box.checked).length;
  document.querySelectorAll("[data-bulk-count]").forEach((el) => { el.textContent = checked; });
  document.querySelectorAll("[data-bulk-button]").forEach((el) => { el.disabled = checked === 0; });
  const all = document.querySelector("[data-select-all]");
  if (all) {
    all.checked = checks.length > 0 && checked === checks.length;
    all.indeterminate = checked > 0 && checked < checks.length;
  }
}

document.addEventListener("change", (event) => {
  if (event.target.matches("[data-select-all]")) {
    document.querySelectorAll("[data-row-check]").forEach((box) => { box.checked = event.target.checked; });
  }
  if (event.target.matches("[data-select-all], [data-row-check]")) updateBulk();
});
document.addEventListener("DOMContentLoaded", updateBulk);
document.addEventListener("htmx:afterSettle", updateBulk);

// Tooltips on content that htmx swapped in (Tabler initialises the first page load).
document.addEventListener("htmx:afterSettle", (event) => {
  if (!window.tabler || !window.tabler.Tooltip) return;
  event.target.querySelectorAll('[data-bs-toggle="tooltip"]').forEach((el) => {
    window.tabler.Tooltip.getOrCreateInstance(el);
  });
});
