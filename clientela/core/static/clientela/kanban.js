// Deals kanban: drag a card to another stage column (SortableJS); the server decides.
//
// The drop posts {stage, version, board=1} to the card's move URL:
//   200 → the refreshed board (counts, totals) replaces the old one;
//   422 → the stage needs input (lost reason, won amount, payment schedule): the answer is the
//         form, shown in a dialog; the card goes back until the form is sent;
//   409 → the deal changed meanwhile: the refreshed board with a message;
//   other → the card goes back and the message is shown.
// The move form (board dialog, deal card, its own page) shows only what the chosen stage needs.
(function () {
  "use strict";

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (error) {
      return "";
    }
  }

  function showMessage(text) {
    const box = document.getElementById("kanban-message");
    if (!box) { window.alert(text); return; }
    box.textContent = text;
    box.classList.remove("d-none");
    window.clearTimeout(showMessage.timer);
    showMessage.timer = window.setTimeout(() => box.classList.add("d-none"), 6000);
  }

  function boardRoot() {
    return document.getElementById("deal-board");
  }

  function boardQuery() {
    const board = document.querySelector("#deal-board .kanban");
    return board ? board.dataset.boardQuery || "" : "";
  }

  function replaceBoard(html) {
    const root = boardRoot();
    if (!root) return;
    root.innerHTML = html;
    if (window.htmx) window.htmx.process(root);
    initBoard();
    initTooltips(root);
  }

  function initTooltips(scope) {
    const Tooltip = (window.tabler && window.tabler.Tooltip) || (window.bootstrap && window.bootstrap.Tooltip);
    if (!Tooltip) return;
    scope.querySelectorAll('[data-bs-toggle="tooltip"]').forEach((el) => Tooltip.getOrCreateInstance(el));
  }

  // Where the board is: the stage tab of the first column in view is marked, and the arrows
  // at the edges show (with how many stages lie beyond) while the board scrolls further.
  function syncPosition() {
    const root = boardRoot();
    const scroller = root && root.querySelector("[data-kanban-scroller]");
    if (!scroller) return;
    const frame = root.querySelector("[data-kanban-frame]");
    const left = scroller.scrollLeft;
    const right = left + scroller.clientWidth;
    const columns = Array.from(scroller.querySelectorAll(".kanban-column"));
    const origin = scroller.getBoundingClientRect().left - left;
    const inView = new Set();
    let beyond = 0;
    columns.forEach((column) => {
      const box = column.getBoundingClientRect();
      const start = box.left - origin;
      const end = start + box.width;
      const shown = Math.min(end, right) - Math.max(start, left);
      if (shown > box.width / 2) inView.add(column.id);
      if (end > right + 8) beyond += 1;
    });
    const nav = root.querySelector("[data-kanban-stages]");
    let firstTab = null;
    root.querySelectorAll("[data-kanban-tab]").forEach((tab) => {
      const active = inView.has(tab.dataset.kanbanTab);
      tab.classList.toggle("active", active);
      if (active) {
        tab.setAttribute("aria-current", "true");
        if (!firstTab) firstTab = tab;
      } else {
        tab.removeAttribute("aria-current");
      }
    });
    // Keep the tab of the stage in view visible in the tab strip (a phone shows a few tabs).
    if (nav && firstTab && nav.scrollWidth > nav.clientWidth) {
      const offset = firstTab.getBoundingClientRect().left - nav.getBoundingClientRect().left;
      if (offset < 0 || offset + firstTab.offsetWidth > nav.clientWidth) nav.scrollLeft += offset - 8;
    }
    const start = root.querySelector('[data-kanban-step="-1"]');
    const end = root.querySelector('[data-kanban-step="1"]');
    if (start) start.hidden = left <= 1;
    if (end) {
      end.hidden = beyond === 0;
      const count = end.querySelector("[data-kanban-hidden-count]");
      if (count) count.textContent = beyond ? "+" + beyond : "";
    }
    if (frame) frame.classList.toggle("kanban-more-end", beyond > 0);
  }

  function scrollToColumn(column) {
    const root = boardRoot();
    const scroller = root && root.querySelector("[data-kanban-scroller]");
    if (!scroller || !column) return;
    const offset = column.getBoundingClientRect().left - scroller.getBoundingClientRect().left;
    scroller.scrollBy({ left: offset, behavior: "smooth" });
  }

  document.addEventListener("click", (event) => {
    const tab = event.target.closest && event.target.closest("[data-kanban-tab]");
    if (tab) {
      event.preventDefault();
      scrollToColumn(document.getElementById(tab.dataset.kanbanTab));
      return;
    }
    const step = event.target.closest && event.target.closest("[data-kanban-step]");
    if (step) {
      const scroller = boardRoot().querySelector("[data-kanban-scroller]");
      const column = scroller && scroller.querySelector(".kanban-column");
      if (!scroller || !column) return;
      const width = column.getBoundingClientRect().width + 12;
      scroller.scrollBy({ left: Number(step.dataset.kanbanStep) * width, behavior: "smooth" });
    }
  });

  document.addEventListener("scroll", (event) => {
    if (event.target.matches && event.target.matches("[data-kanban-scroller]")) syncPosition();
  }, true);
  window.addEventListener("resize", syncPosition);

  function putBack(event) {
    const item = event.item;
    const from = event.from;
    const reference = from.children[event.oldIndex] || null;
    from.insertBefore(item, reference);
  }

  function openDialog(html) {
    const body = document.getElementById("deal-move-body");
    const modalElement = document.getElementById("deal-move-modal");
    if (!body || !modalElement) return;
    body.innerHTML = html;
    if (window.htmx) window.htmx.process(body);
    initMoveForms(body);
    const Modal = (window.bootstrap && window.bootstrap.Modal) || (window.tabler && window.tabler.Modal);
    if (Modal) {
      Modal.getOrCreateInstance(modalElement).show();
    } else {
      modalElement.classList.add("show");
      modalElement.style.display = "block";
    }
    const first = body.querySelector("select, input:not([type=hidden]), textarea");
    if (first) window.setTimeout(() => first.focus(), 200);
  }

  function closeDialog() {
    const modalElement = document.getElementById("deal-move-modal");
    if (!modalElement) return;
    const Modal = (window.bootstrap && window.bootstrap.Modal) || (window.tabler && window.tabler.Modal);
    if (Modal) {
      const instance = Modal.getInstance(modalElement);
      if (instance) instance.hide();
    } else {
      modalElement.classList.remove("show");
      modalElement.style.display = "none";
    }
  }

  async function onDrop(event) {
    if (event.from === event.to) return; // order inside a column follows time in stage
    const card = event.item;
    const url = card.dataset.moveUrl;
    if (!url) { putBack(event); return; }
    const data = new FormData();
    data.append("stage", event.to.dataset.stage);
    data.append("version", card.dataset.version || "");
    data.append("board", "1");
    data.append("board_query", boardQuery());
    card.classList.add("kanban-busy");
    let response;
    try {
      response = await fetch(url, {
        method: "POST",
        body: data,
        headers: { "X-CSRFToken": csrfToken() },
        credentials: "same-origin",
      });
    } catch (error) {
      card.classList.remove("kanban-busy");
      putBack(event);
      showMessage(String(error));
      return;
    }
    card.classList.remove("kanban-busy");
    const html = await response.text();
    if (response.status === 200 || response.status === 409) {
      replaceBoard(html);
    } else if (response.status === 422) {
      putBack(event);
      openDialog(html);
    } else {
      putBack(event);
      const text = new DOMParser().parseFromString(html, "text/html").body.textContent || "";
      showMessage(text.trim().slice(0, 300) || response.statusText);
    }
  }

  function initBoard() {
    syncPosition();
    if (!window.Sortable) return;
    const root = boardRoot();
    if (!root) return;
    const pipeline = root.dataset.pipeline || "";
    root.querySelectorAll("[data-kanban-column]").forEach((column) => {
      if (column.sortable) return;
      column.sortable = window.Sortable.create(column, {
        group: "deals-" + pipeline,
        animation: 150,
        draggable: ".kanban-card[data-move-url]",
        // A card is grabbed anywhere, its title too (a click without a move still opens it).
        // Mouse and touch events rather than the browser's own drag and drop: the same on every
        // browser, a link is not dragged away as a URL, and a finger must rest a moment before a
        // card lifts, so that a swipe scrolls the board.
        forceFallback: true,
        fallbackTolerance: 4,
        delay: 250,
        delayOnTouchOnly: true,
        filter: "[data-more], button, .visually-hidden-focusable",
        preventOnFilter: false,
        ghostClass: "sortable-ghost",
        onEnd: onDrop,
      });
    });
  }

  // The move form shows the lost fields for a lost stage and the won fields for a won stage.
  function syncMoveForm(form) {
    const select = form.querySelector("[data-move-stage]");
    if (!select) return;
    const option = select.options[select.selectedIndex];
    const kind = option ? option.dataset.kind : "open";
    form.querySelectorAll("[data-move-when]").forEach((fieldset) => {
      const shown = fieldset.dataset.moveWhen === kind;
      fieldset.hidden = !shown;
      fieldset.disabled = !shown;
    });
  }

  function initMoveForms(scope) {
    (scope || document).querySelectorAll("[data-deal-move-form]").forEach(syncMoveForm);
  }

  document.addEventListener("change", (event) => {
    if (event.target.matches && event.target.matches("[data-move-stage]")) {
      syncMoveForm(event.target.closest("form"));
    }
  });

  document.addEventListener("htmx:afterSettle", (event) => {
    // An outerHTML swap settles on the element it replaced: look at the whole page.
    initMoveForms(document);
    if (event.target.closest && event.target.closest("#deal-board")) initBoard();
    if (event.target.id === "deal-board") initBoard();
    syncPosition();
  });

  // A dialog form sent from the board: the server answers with the board and this event.
  document.addEventListener("dealMoved", closeDialog);

  document.addEventListener("DOMContentLoaded", () => {
    initBoard();
    initMoveForms(document);
  });
})();
