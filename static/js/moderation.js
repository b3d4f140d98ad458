/* Moderation queue keys: j/k move between rows, a approves, r goes to the reject reason,
   x selects the row for "Approve selected". Ignored while typing in a field. */
(function () {
  "use strict";

  var table = document.querySelector("[data-keyboard-rows]");
  if (!table) {
    return;
  }
  var rows = Array.prototype.slice.call(table.querySelectorAll("tr[data-row]"));
  var current = -1;

  function select(index) {
    if (!rows.length) {
      return;
    }
    if (current >= 0) {
      rows[current].classList.remove("is-current");
    }
    current = Math.max(0, Math.min(rows.length - 1, index));
    rows[current].classList.add("is-current");
    rows[current].scrollIntoView({ block: "nearest" });
  }

  function typing(target) {
    var tag = target && target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || target.isContentEditable;
  }

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey || typing(event.target)) {
      return;
    }
    var row = current >= 0 ? rows[current] : null;
    if (event.key === "j") {
      select(current + 1);
    } else if (event.key === "k") {
      select(current - 1);
    } else if (event.key === "a" && row) {
      row.querySelector("[data-approve]").click();
    } else if (event.key === "r" && row) {
      event.preventDefault();
      row.querySelector("[data-reason]").focus();
    } else if (event.key === "x" && row) {
      var box = row.querySelector("input[type=checkbox]");
      box.checked = !box.checked;
    } else {
      return;
    }
    event.preventDefault();
  });
})();
