/* First script of the page: keeps the errors of the scripts after it (and, under #selftest, their console
   warnings and errors) in window.pageErrors, which the page's self-check reports. */
window.pageErrors = [];
window.addEventListener("error", function (e) { window.pageErrors.push(String(e.message)); });
if (location.hash === "#selftest") {
  ["error", "warn"].forEach(function (level) {
    var original = console[level];
    console[level] = function () {
      window.pageErrors.push("console." + level + ": " + Array.prototype.join.call(arguments, " "));
      return original.apply(console, arguments);
    };
  });
}
