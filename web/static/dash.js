// The dashboard works without this; it only saves a click: a new period or scope shows
// at once, and the date fields appear only for a custom range.
(function () {
  "use strict";
  var form = document.querySelector("form.pick");
  if (!form) return;
  var period = document.getElementById("period");
  function custom() { form.classList.toggle("preset", period.value !== "custom"); }
  custom();
  period.addEventListener("change", function () {
    custom();
    if (period.value !== "custom") form.submit();
  });
  document.getElementById("scope").addEventListener("change", function () { form.submit(); });
})();
