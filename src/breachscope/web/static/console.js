// breachscope console: the only script besides htmx. No inline script anywhere (CSP script-src 'self').
// 1. Live countdowns: <time data-countdown datetime="ISO"> shows "in 2d 3h 4m 5s" / "overdue by ...".
// 2. Nothing else; the pages work for reading with JavaScript off (the server renders the countdown once).
(function () {
  "use strict";
  function words(ms) {
    var late = ms < 0, s = Math.floor(Math.abs(ms) / 1000);
    var d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
    var text = (d ? d + "d " : "") + h + "h " + m + "m " + (s % 60) + "s";
    return late ? "overdue by " + text : "in " + text;
  }
  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-countdown]").forEach(function (el) {
      var due = Date.parse(el.getAttribute("data-countdown"));
      if (isNaN(due)) { return; }
      var target = el.querySelector(".countdown-text") || el;
      target.textContent = words(due - now);
      el.classList.toggle("overdue", due < now);
    });
  }
  document.addEventListener("DOMContentLoaded", function () { tick(); setInterval(tick, 1000); });
})();
