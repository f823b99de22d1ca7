/* The journey map's export buttons. Progressive enhancement: they stay hidden unless this script runs.
 *
 * "Download PNG" draws the map as the page shows it (heading, filters summary, generation date, the table) into a
 * PNG with html-to-image (vendored in static/vendor/html-to-image, served from 'self') and downloads it as
 * map-<service>-<date>.png. "Print" opens the browser's print dialog; map-export.css holds the
 * print stylesheet. Both leave out the same parts of the page: navigation, the filter form and the buttons.
 */
(function () {
  "use strict";

  var tools = document.querySelector("[data-map-export]");
  if (!tools) {
    return;
  }
  // Keep in step with the @media print rules of map-export.css.
  var SKIP = ".breadcrumb, form.filters, .map-tools, .card-foot";
  var status = tools.querySelector("[data-export-status]");
  var pngButton = tools.querySelector('[data-export="png"]');
  var printButton = tools.querySelector('[data-export="print"]');

  function pad(n) {
    return String(n).padStart(2, "0");
  }

  function today() {
    var d = new Date();
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate());
  }

  function kept(node) {
    return !(node instanceof Element && node.matches(SKIP));
  }

  function save(blob, name) {
    var url = URL.createObjectURL(blob);
    var link = document.createElement("a");
    link.href = url;
    link.download = name;
    link.hidden = true;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 60000);
  }

  function downloadPng() {
    var root = document.querySelector("main");
    pngButton.disabled = true;
    status.textContent = tools.dataset.busy;
    root.classList.add("exporting");  // the whole table, not its scrolled part (map-export.css)
    // As wide as the map (which may overflow the page on a phone) and as tall as what is kept: the left-out
    // parts' heights are taken off.
    var width = root.scrollWidth + parseFloat(getComputedStyle(root).paddingRight);
    var skipped = Array.prototype.slice.call(root.querySelectorAll(SKIP));
    var height = skipped.reduce(function (h, el) { return h - el.getBoundingClientRect().height; },
                                root.scrollHeight);
    window.htmlToImage.toBlob(root, {
      filter: kept, backgroundColor: "#ffffff", skipFonts: true, width: Math.ceil(width), height: Math.ceil(height),
      style: {width: Math.ceil(width) + "px", maxWidth: "none", margin: "0"}
    }).then(function (blob) {
      save(blob, tools.dataset.file + "-" + today() + ".png");
      status.textContent = "";
    }).catch(function () {
      status.textContent = tools.dataset.failed;
    }).finally(function () {
      root.classList.remove("exporting");
      pngButton.disabled = false;
    });
  }

  if (window.htmlToImage && pngButton) {
    pngButton.hidden = false;
    pngButton.addEventListener("click", downloadPng);
  }
  if (typeof window.print === "function" && printButton) {
    printButton.hidden = false;
    printButton.addEventListener("click", function () { window.print(); });
  }
})();
