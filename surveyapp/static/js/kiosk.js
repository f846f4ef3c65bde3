// Counter tablet: shortly before the server closes an idle visit, ask whether the person
// is still there; "still answering" saves the page as it is (which restarts the server's
// clock), else the tablet goes back to its start page for the next person. Without
// script, the server's expiry alone protects the answers.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var dialog = document.getElementById("still-there");
    if (!dialog || typeof dialog.showModal !== "function") return;
    var idle = Number(dialog.getAttribute("data-idle-seconds"));
    var warn = Number(dialog.getAttribute("data-warn-seconds"));
    var start = dialog.getAttribute("data-start");
    var leaving;
    function startOver() { window.location.assign(start); }
    function ask() {
      dialog.showModal();
      leaving = window.setTimeout(startOver, warn * 1000);
    }
    dialog.querySelector("button").addEventListener("click", function () {
      window.clearTimeout(leaving);
      var form = document.getElementById("answers");
      var stay = document.createElement("input");
      stay.type = "hidden";
      stay.name = "action";
      stay.value = "stay";
      form.appendChild(stay);
      form.submit();
    });
    dialog.addEventListener("cancel", function (event) { event.preventDefault(); });
    window.setTimeout(ask, Math.max(idle - warn, 1) * 1000);
  });
})();
