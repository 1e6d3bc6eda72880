// Progress of a run on the scenario page: ask the server every second, move the bar, reload when the run ends.
(function () {
  "use strict";
  var box = document.getElementById("progress");
  if (!box || box.getAttribute("data-state") !== "running") { return; }  // a finished run's page stays as it is
  var bar = box.querySelector("progress");
  var text = box.querySelector(".message");
  var url = box.getAttribute("data-status");
  function ask() {
    fetch(url, { cache: "no-store" })
      .then(function (response) { return response.json(); })
      .then(function (status) {
        bar.value = status.fraction;
        text.textContent = status.message + " (" + Math.round(status.elapsed_seconds) + " s)";
        if (status.running) { setTimeout(ask, 1000); } else { window.location.reload(); }
      })
      .catch(function () { text.textContent = "the server does not answer: is serve still running?"; setTimeout(ask, 3000); });
  }
  ask();
})();
// Fields that differ from the base are marked, so the changes stand out before they are checked.
(function () {
  "use strict";
  var fields = document.querySelectorAll("input[data-base]");
  function mark(field) { field.classList.toggle("changed", field.value.trim() !== field.getAttribute("data-base")); }
  fields.forEach(function (field) { mark(field); field.addEventListener("input", function () { mark(field); }); });
})();
