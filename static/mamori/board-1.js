/* Mamori: keeps an emergency's board current. Every 20 seconds the element with data-live-url is
   replaced by a fresh copy from the server (the roll-call counts and the recovery checklist). No
   library: this is the only script, and the page works without it (reload to see changes). */
(function () {
  var box = document.querySelector("[data-live-url]");
  if (!box || !window.fetch) { return; }
  function refresh() {
    fetch(box.getAttribute("data-live-url"), { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (html === null) { return; }
        var open = Array.prototype.map.call(box.querySelectorAll("details[open]"), function (d) { return d.id; });
        box.innerHTML = html;
        open.forEach(function (id) { var d = id && document.getElementById(id); if (d) { d.open = true; } });
      })
      .catch(function () { /* the network is down: try again next time */ });
  }
  setInterval(refresh, 20000);
})();
