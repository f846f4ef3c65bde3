// A job's progress (an export, a frame import) without a meta refresh, which would restart
// a screen reader every few seconds (WCAG 2.2.1): with scripts, the page fetches itself and swaps the
// progress section's content in place, so its live region announces the change, until
// the job is no longer pending. Without scripts, the page's "Reload now" link does it.
(function () {
  "use strict";
  var EVERY_MS = 3000;
  function sayItUpdates() {
    var note = document.querySelector("[data-updates-itself]");
    if (note) { note.hidden = false; }
  }

  function poll() {
    var section = document.querySelector(".export-job[data-poll]");
    if (!section) { return; }
    fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        if (!response.ok) { return Promise.reject(response.status); }
        return response.text().then(function (html) { return { html: html, url: response.url }; });
      })
      .then(function (answer) {
        var fresh = new DOMParser().parseFromString(answer.html, "text/html").querySelector(".export-job");
        if (!fresh) {  // the job is over and its page is now the result (a frame import's)
          window.location.assign(answer.url);
          return;
        }
        section.innerHTML = fresh.innerHTML;
        section.setAttribute("data-status", fresh.getAttribute("data-status"));
        if (!fresh.hasAttribute("data-poll")) { section.removeAttribute("data-poll"); }
        sayItUpdates();
        window.setTimeout(poll, EVERY_MS);
      })
      .catch(function () { window.setTimeout(poll, EVERY_MS * 3); });  // a hiccup: try again later
  }
  sayItUpdates();
  window.setTimeout(poll, EVERY_MS);
})();
