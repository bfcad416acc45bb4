// Keyboard comfort: Ctrl/Cmd+Enter submits the form you are typing in; Esc closes dropdowns.
document.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
    const form = event.target.closest && event.target.closest("form");
    if (form) { event.preventDefault(); form.requestSubmit(); }
  }
});
