// The call-plan editor: show the fields of the type a node's "Type" select names
// (and give the card two columns when that type's form has rows of fields).
// Fields of the other types are disabled as well as hidden, so the form never sends them.
(function () {
  "use strict";
  function showType(select) {
    var card = select.closest("[data-testid=node-card]");
    if (!card) { return; }
    card.classList.toggle("wide", (select.dataset.wide || "").split(" ").indexOf(select.value) >= 0);
    card.querySelectorAll("fieldset[data-cp-fields]").forEach(function (fields) {
      var shown = fields.dataset.cpFields === select.value;
      fields.hidden = !shown;
      fields.disabled = !shown;
    });
  }
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target instanceof HTMLSelectElement && target.hasAttribute("data-cp-type")) {
      showType(target);
    }
  });
})();
