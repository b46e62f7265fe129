/* storyforge intake: sends the share-your-story form without leaving the page.
   First it proves a person's browser is sending it: it asks the service for a challenge and finds
   the number whose SHA-256 with the challenge's salt matches (the ALTCHA protocol; a second or so,
   nothing about the visitor is tracked or sent elsewhere). Then it posts the form with
   Accept: application/json and either goes to the thank-you page or shows, beside each field,
   what to fix, keeping everything typed. Served by the intake service itself at /form.js. */
(function () {
  "use strict";
  var form = document.querySelector("form[data-challenge]");
  if (!form || !window.fetch || !window.crypto || !window.crypto.subtle) { return; }
  var status = form.querySelector(".form-status");
  var button = form.querySelector("button[type=submit]");
  var encoder = new TextEncoder();

  function hex(buffer) {
    var bytes = new Uint8Array(buffer), out = "";
    for (var i = 0; i < bytes.length; i++) { out += (bytes[i] < 16 ? "0" : "") + bytes[i].toString(16); }
    return out;
  }

  async function solve(challenge) {
    var algorithm = challenge.algorithm || "SHA-256", max = challenge.maxnumber || challenge.maxNumber || 1e6;
    for (var start = 0; start <= max; start += 500) {
      var batch = [];
      for (var n = start; n < start + 500 && n <= max; n++) {
        batch.push(crypto.subtle.digest(algorithm, encoder.encode(challenge.salt + n)));
      }
      var hashes = await Promise.all(batch);
      for (var k = 0; k < hashes.length; k++) {
        if (hex(hashes[k]) === challenge.challenge) { return start + k; }
      }
    }
    return null;
  }

  function say(text) {
    status.textContent = text;
    status.hidden = !text;
  }

  function clearErrors() {
    form.querySelectorAll(".field-error").forEach(function (p) { p.remove(); });
    form.querySelectorAll("[aria-invalid]").forEach(function (input) { input.removeAttribute("aria-invalid"); });
  }

  function showErrors(errors) {
    var first = null;
    Object.keys(errors || {}).forEach(function (name) {
      var input = form.querySelector("[name='" + name + "']");
      if (!input || input.type === "hidden") { return; }
      var note = document.createElement("p");
      note.className = "help field-error";
      note.id = "share-error-" + name;
      var strong = document.createElement("strong");
      strong.textContent = errors[name];
      note.appendChild(strong);
      var place = input.closest(".field") || input.parentNode;
      place.appendChild(note);
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", ((input.getAttribute("aria-describedby") || "") + " " + note.id).trim());
      first = first || input;
    });
    if (first) { first.focus(); }
  }

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    clearErrors();
    button.disabled = true;
    say("Sending your story…");
    try {
      var challenge = await (await fetch(form.dataset.challenge, {mode: "cors"})).json();
      var number = await solve(challenge);
      form.elements.altcha.value = btoa(JSON.stringify({
        algorithm: challenge.algorithm, challenge: challenge.challenge, number: number,
        salt: challenge.salt, signature: challenge.signature}));
      var answer = await fetch(form.action, {method: "POST", mode: "cors", body: new FormData(form),
                                             headers: {"Accept": "application/json"}});
      var data = await answer.json();
      if (data.ok) {
        say("Thank you — your story has reached us.");
        window.location.assign(data.thanks);
        return;
      }
      say("Your story was not sent yet: " + data.message + ". Everything you typed is still here.");
      showErrors(data.errors);
    } catch (problem) {
      say("We could not reach our server just now. Everything you typed is still here — please try again in a minute.");
    }
    button.disabled = false;
  });
})();
