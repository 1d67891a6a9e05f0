// The prompts page: a chosen file uploads at once (htmx), and whatever the server says
// about it lands in the same table cell.
(function () {
  "use strict";
  function cellOf(element) { return element.closest("[data-audio-cell]"); }
  // The messages and the size limit, set once on the table or section around the cells.
  function setting(element, name) {
    var holder = element.closest("[data-max-bytes]");
    return holder ? holder.dataset[name] || "" : "";
  }

  function say(cell, message) {
    var slot = cell && cell.querySelector("[data-message]");
    if (slot) { slot.textContent = message; slot.hidden = !message; }
  }

  // Capture phase: runs before htmx sees the change, so a file over the limit is never sent.
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!(input instanceof HTMLInputElement) || input.type !== "file" || !cellOf(input)) { return; }
    var limit = Number(setting(input, "maxBytes") || 0);
    var file = input.files && input.files[0];
    if (file && limit && file.size > limit) {
      event.stopPropagation();
      input.value = "";
      say(cellOf(input), setting(input, "tooLarge"));
    }
  }, true);

  // The server answers a refused file with 422 and the cell showing why: swap it in, as
  // htmx does not for error statuses.
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.xhr.status === 422 && cellOf(event.detail.target)) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  document.addEventListener("htmx:beforeRequest", function (event) {
    var cell = cellOf(event.detail.elt);
    if (cell) { cell.setAttribute("aria-busy", "true"); say(cell, setting(cell, "busy")); }
  });

  // Anything else (the connection dropped, the body was refused before parsing).
  document.addEventListener("htmx:responseError", function (event) {
    var cell = cellOf(event.detail.elt);
    if (cell && event.detail.xhr.status !== 422) {
      cell.removeAttribute("aria-busy");
      say(cell, setting(cell, "failed"));
    }
  });
  document.addEventListener("htmx:sendError", function (event) {
    var cell = cellOf(event.detail.elt);
    if (cell) { cell.removeAttribute("aria-busy"); say(cell, setting(cell, "failed")); }
  });
})();
