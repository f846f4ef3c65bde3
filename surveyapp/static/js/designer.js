// Progressive enhancement for the questionnaire designer; every page works without it.
// - select[data-autosubmit]: choosing an option submits its (GET) form.
// - form[data-confirm] / button[data-confirm-click]: ask before deleting.
// - [data-for-types]: parts of the question form shown only for the chosen type.
(function () {
  "use strict";
  function showForType(select) {
    document.querySelectorAll("[data-for-types]").forEach(function (part) {
      part.hidden = part.getAttribute("data-for-types").split(" ").indexOf(select.value) < 0;
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var type = document.getElementById("f-type");
    if (type) {
      showForType(type);
      type.addEventListener("change", function () { showForType(type); });
    }
    document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
      select.addEventListener("change", function () {
        if (select.value) select.form.submit();
      });
    });
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
      });
    });
    document.querySelectorAll("button[data-confirm-click]").forEach(function (button) {
      button.addEventListener("click", function (event) {
        if (!window.confirm(button.getAttribute("data-confirm-click"))) event.preventDefault();
      });
    });
  });
})();
