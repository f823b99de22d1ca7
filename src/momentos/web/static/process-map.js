// The process map's slider: show only the N most frequent arrows (each arrow carries data-rank, 1 = most frequent).
(function () {
  "use strict";
  document.querySelectorAll("input[data-process-map]").forEach(function (slider) {
    var figure = document.getElementById(slider.getAttribute("data-process-map"));
    var output = slider.parentElement.querySelector("output");
    function apply() {
      var shown = parseInt(slider.value, 10);
      figure.querySelectorAll(".process-arc").forEach(function (arc) {
        arc.style.display = parseInt(arc.getAttribute("data-rank"), 10) <= shown ? "" : "none";
      });
      if (output) { output.textContent = String(shown); }
    }
    slider.addEventListener("input", apply);
    apply();
  });
})();
