// Progressive enhancement for respondent pages: hide questions whose show_when rule
// is false given this page's answers. The server re-evaluates every rule on submit.
(function () {
  "use strict";
  function value(form, item) {
    var inputs = form.querySelectorAll('[name="' + item + '"]');
    var values = [];
    inputs.forEach(function (el) {
      if ((el.type === "radio" || el.type === "checkbox") && !el.checked) return;
      if (el.closest("[hidden]")) return;
      if (el.value !== "") values.push(isNaN(Number(el.value)) ? el.value : Number(el.value));
    });
    return values;
  }
  function hasEarlier(form, item) { return form.querySelector('[name="' + item + '"]') !== null; }
  function test(form, rule) {
    var op = Object.keys(rule)[0], arg = rule[op];
    if (op === "and") return arg.every(function (r) { return test(form, r); });
    if (op === "or") return arg.some(function (r) { return test(form, r); });
    if (op === "not") return !test(form, arg);
    var item = op === "answered" ? arg : arg[0];
    if (!hasEarlier(form, item)) return true; // decided on an earlier page: the server showed it
    var vals = value(form, item);
    if (op === "answered") return vals.length > 0;
    var target = arg[1];
    return vals.some(function (v) {
      switch (op) {
        case "eq": return v === target;
        case "ne": return v !== target;
        case "lt": return v < target;
        case "le": return v <= target;
        case "gt": return v > target;
        case "ge": return v >= target;
        case "in": return target.indexOf(v) >= 0;
      }
      return true;
    });
  }
  function refresh(form) {
    form.querySelectorAll("[data-show-when]").forEach(function (el) {
      el.hidden = !test(form, JSON.parse(el.getAttribute("data-show-when")));
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("form.r-form");
    if (!form) return;
    refresh(form);
    form.addEventListener("change", function () { refresh(form); });
    var summary = document.getElementById("error-summary");
    if (summary) summary.focus();
  });
})();
