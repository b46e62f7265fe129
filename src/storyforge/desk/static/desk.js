// The desk works without this file. With it, a form someone has started typing in, or has just
// sent, is not reloaded away when the site rebuilds: livereload.js leaves a page alone while its
// body says "editing" (a page that answers a POST says so from the start: reloading it would
// send the form again).
(function () {
  "use strict";
  function hold() { document.body.dataset.editing = "1"; }
  document.addEventListener("input", hold);
  document.addEventListener("submit", hold);
}());
