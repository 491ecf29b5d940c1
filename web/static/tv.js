// The office TV's live updates: the server sends the page's parts whenever the store
// changes; they replace the old ones in place. EventSource reconnects by itself (the
// server asks for 2 s); if the browser gives up, we start a new one.
(function () {
  "use strict";
  var url = location.pathname.replace(/\/+$/, "") + "/events";
  var offline = document.getElementById("offline");
  var source = null;
  var lostAt = 0;
  window.crmPulseUpdates = 0;

  function apply(state) {
    Object.keys(state.parts).forEach(function (name) {
      var node = document.getElementById(name);
      if (node && node.innerHTML !== state.parts[name]) node.innerHTML = state.parts[name];
    });
    document.getElementById("as-of").textContent = state.as_of;
    var stale = document.getElementById("stale");
    stale.textContent = state.stale;
    stale.hidden = !state.stale;
    window.crmPulseUpdates += 1;
  }

  function connect() {
    source = new EventSource(url);
    source.addEventListener("state", function (event) {
      lostAt = 0;
      offline.hidden = true;
      apply(JSON.parse(event.data));
    });
    source.onerror = function () {
      if (!lostAt) lostAt = Date.now();
      // a short blip is not worth a banner; a restart of a few seconds is
      if (Date.now() - lostAt > 8000) offline.hidden = false;
      if (source.readyState === EventSource.CLOSED) {
        source = null;
        setTimeout(connect, 5000);
      }
    };
  }
  connect();
  setInterval(function () {
    if (lostAt && Date.now() - lostAt > 8000) offline.hidden = false;
  }, 2000);
})();
