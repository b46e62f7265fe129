// storyforge serve: added to every HTML page the preview server sends (never to files on disk).
// Waits for the next rebuild by long-polling /__storyforge/epoch, then reloads the page, swaps only
// the stylesheets after a CSS-only change, or shows the rebuild's errors over the last good page.
(function () {
  "use strict";
  var script = document.currentScript;
  var server = script.dataset.server;
  var shown = Number(script.dataset.epoch); // the build this page came from
  var known = -1; // the last epoch heard of; -1 asks for the current state at once
  var OVERLAY_ID = "storyforge-errors";

  function showErrors(errors) {
    var box = document.getElementById(OVERLAY_ID);
    if (!errors.length) {
      if (box) box.remove();
      return;
    }
    if (!box) {
      box = document.createElement("div");
      box.id = OVERLAY_ID;
      box.setAttribute("role", "alert");
      box.style.cssText = "position:fixed;inset:auto 0 0 0;z-index:2147483647;max-height:60vh;" +
        "overflow:auto;margin:0;padding:1rem 1.25rem;background:#2b0b0b;color:#fff;" +
        "font:15px/1.5 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;" +
        "border-top:4px solid #ff6b5e;box-shadow:0 -4px 24px rgba(0,0,0,.4);white-space:pre-wrap";
      document.body.appendChild(box);
    }
    // every message is set as text, never parsed as HTML: it can quote what a customer wrote
    var title = document.createElement("strong");
    title.textContent = "The last save did not build. This is the previous version of the site; " +
      "fix the problem below and save again.";
    var list = document.createElement("ul");
    list.style.cssText = "margin:.5rem 0 0;padding-left:1.25rem";
    errors.forEach(function (error) {
      var item = document.createElement("li");
      item.textContent = error.where ? error.where + ": " + error.message : error.message;
      list.appendChild(item);
    });
    box.replaceChildren(title, list);
  }

  function swapStylesheets(epoch) {
    var links = document.querySelectorAll('link[rel~="stylesheet"]');
    Array.prototype.forEach.call(links, function (link) {
      var url = new URL(link.href, location.href);
      if (url.origin !== location.origin) return;
      url.searchParams.set("storyforge", String(epoch));
      var fresh = link.cloneNode();
      fresh.href = url.href;
      var done = function () { link.remove(); };
      fresh.addEventListener("load", done);
      fresh.addEventListener("error", done);
      link.after(fresh);
    });
  }

  // the moderation desk marks its body while a form is half filled in: no reload may lose it
  function editing() {
    return Boolean(document.body && document.body.dataset.editing);
  }

  // true to keep polling, false when the page is about to reload
  function apply(state) {
    if (state.server !== server) {
      if (editing()) { known = state.epoch; return true; }
      location.reload(); // the server was restarted: the site may differ in any way
      return false;
    }
    showErrors(state.errors);
    known = state.epoch;
    if (state.errors.length || state.epoch === shown) return true;
    if (state.full > shown) {
      if (editing()) return true; // sending the form loads the page anew
      location.reload();
      return false;
    }
    swapStylesheets(state.epoch);
    shown = state.epoch;
    return true;
  }

  function poll() {
    // a hidden tab asks once a second instead of holding a connection open: browsers allow only
    // a few connections per server, and a page being loaded must not wait behind them
    var wait = document.visibilityState === "hidden" ? 0 : 1;
    fetch("/__storyforge/epoch?since=" + known + "&wait=" + wait, { cache: "no-store" })
      .then(function (response) { return response.json(); })
      .then(function (state) {
        if (apply(state)) setTimeout(poll, wait ? 0 : 1000);
      })
      .catch(function () { setTimeout(poll, 1000); }); // stopped or restarting: keep asking
  }

  poll();
})();
