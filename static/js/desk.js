// The writing desk: autosave, a leave-page warning, Ctrl/Cmd+S, a live word count and the
// writing font. Progressive enhancement only: without this file the post form works as is.
(function () {
  "use strict";
  var form = document.querySelector("form.desk");
  if (!form) return;
  var body = form.querySelector("textarea[name=body]");
  var stats = document.getElementById("desk-stats");
  var status = document.getElementById("desk-status");
  var mono = document.getElementById("desk-mono");
  var saveButton = form.querySelector(".desk-bar button.primary");
  var AUTOSAVE_AFTER = 2000; // ms of quiet after a change
  var AUTOSAVE_EVERY = 10000; // ms at most between two autosaves while typing goes on
  var WORDS_A_MINUTE = 230; // as blog.models.reading_minutes
  // A form shown again after a refused save, or filled from an autosave, is not saved yet.
  var dirty = form.hasAttribute("data-unsaved");
  var leaving = false;
  var timer = null;
  var firstChange = 0;
  var inFlight = false;
  var again = false;
  var failedInARow = 0; // an expired page is retried once with its fresh token, not forever

  function say(text) {
    if (status) status.textContent = text;
  }

  // --- Word count and reading time, as the server counts them, near enough ---------------
  function countWords(text) {
    var plain = text.replace(/<[^>]*>/g, " ").replace(/\]\([^)]*\)/g, "] ");
    var words = plain.match(/[\p{L}\p{N}_]+/gu);
    return words ? words.length : 0;
  }
  function showStats() {
    if (!stats || !body) return;
    var n = countWords(body.value);
    var minutes = Math.max(1, Math.round(n / WORDS_A_MINUTE));
    stats.textContent = n + (n === 1 ? " word" : " words") + " · " + minutes + " min read";
  }

  // --- Autosave ---------------------------------------------------------------------------
  function formData() {
    var data = new FormData(form);
    // Files go with Save only: an autosave keeps what was typed.
    form.querySelectorAll("input[type=file]").forEach(function (input) {
      data.delete(input.name);
    });
    return data;
  }
  function freshToken(token) {
    if (!token) return;
    document.querySelectorAll("input[name=csrf_token]").forEach(function (input) {
      input.value = token;
    });
  }
  function autosave() {
    timer = null;
    firstChange = 0;
    if (leaving) return;
    if (inFlight) {
      again = true;
      return;
    }
    inFlight = true;
    say("Autosaving…");
    fetch(form.dataset.autosave, {
      method: "POST",
      body: formData(),
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        if (response.status === 401) {
          say("Not autosaved: signed out. Your text stays here; press Save to sign in again.");
          return null;
        }
        return response.json().then(function (answer) {
          freshToken(answer.csrf_token);
          if (response.ok) {
            failedInARow = 0;
            say("Autosaved at " + answer.saved_at + " (not saved yet)");
          } else {
            failedInARow += 1;
            say("Not autosaved (this page had expired). Your text stays here.");
            again = failedInARow < 2;
          }
        });
      })
      .catch(function () {
        say("Not autosaved: the site cannot be reached. Your text stays here.");
      })
      .finally(function () {
        inFlight = false;
        if (again && !leaving) {
          again = false;
          schedule();
        }
      });
  }
  function schedule() {
    var now = Date.now();
    if (!firstChange) firstChange = now;
    if (timer) clearTimeout(timer);
    var wait = Math.min(AUTOSAVE_AFTER, Math.max(0, firstChange + AUTOSAVE_EVERY - now));
    timer = setTimeout(autosave, wait);
  }
  function changed(event) {
    if (event.target === mono) return;
    if (event.target && event.target.type === "file") {
      dirty = true;
      return;
    }
    dirty = true;
    if (event.target === body) showStats();
    schedule();
  }
  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  // Other scripts (inserting an image) change the body without an input event: they say so.
  form.addEventListener("desk:changed", function () {
    dirty = true;
    showStats();
    schedule();
  });

  // --- Leaving and saving -------------------------------------------------------------------
  window.addEventListener("beforeunload", function (event) {
    if (!dirty || leaving) return;
    event.preventDefault();
    event.returnValue = ""; // older browsers show the warning only with this
  });
  form.addEventListener("submit", function (event) {
    var submitter = event.submitter;
    if (submitter && submitter.formTarget === "_blank") return; // Preview: this page stays
    leaving = true;
    if (timer) clearTimeout(timer);
  });
  document.addEventListener("keydown", function (event) {
    if ((event.ctrlKey || event.metaKey) && !event.altKey && event.key.toLowerCase() === "s") {
      event.preventDefault();
      if (form.requestSubmit) form.requestSubmit(saveButton);
      else saveButton.click();
    }
  });

  // --- Writing font -------------------------------------------------------------------------
  if (mono) {
    try {
      mono.checked = localStorage.getItem("desk-mono") === "1";
    } catch (e) {
      /* storage may be off: the default font then */
    }
    mono.addEventListener("change", function () {
      try {
        localStorage.setItem("desk-mono", mono.checked ? "1" : "0");
      } catch (e) {
        /* nothing to keep it in */
      }
    });
  }
  showStats();
})();
