// The desk works without this file. With it, a form someone has started typing in is not
// reloaded away when the site rebuilds: livereload.js waits while the body says "editing".
(function () {
  "use strict";
  document.addEventListener("input", function () { document.body.dataset.editing = "1"; });
  document.addEventListener("submit", function () { delete document.body.dataset.editing; });
}());
