// soarctl dashboard: the little the pages do without a reload. No library.
// Everything written into the page goes through textContent (never innerHTML).
"use strict";
(function () {
  var meta = document.querySelector('meta[name="csrf"]');
  var csrf = meta ? meta.getAttribute("content") : "";

  // New cases, pushed by the server (server-sent events).
  var live = document.getElementById("live-cases");
  if (live && window.EventSource) {
    var es = new EventSource("/ui/events");
    es.addEventListener("case", function (ev) {
      var c = JSON.parse(ev.data);
      var tr = document.createElement("tr");
      tr.className = "new";
      var cells = ["#" + c.seq, c.title, c.type, c.severity, c.status, c.created];
      cells.forEach(function (v, i) {
        var td = document.createElement("td");
        if (i === 0) {
          var a = document.createElement("a");
          a.href = "/ui/cases/" + encodeURIComponent(c.seq);
          a.textContent = v;
          td.appendChild(a);
        } else {
          td.textContent = v;
        }
        if (i === 3) td.className = "sev-" + v;
        tr.appendChild(td);
      });
      var body = live.tBodies[0] || live;
      body.insertBefore(tr, body.firstChild);
      var cnt = document.getElementById("live-count");
      if (cnt) cnt.textContent = String(Number(cnt.textContent) + 1);
    });
  }

  // The war room: a command posted as JSON with the CSRF token in a header.
  var wr = document.getElementById("warroom");
  if (wr) {
    wr.addEventListener("submit", function (e) {
      e.preventDefault();
      var out = document.getElementById("warroom-out");
      out.textContent = "running...";
      fetch(wr.getAttribute("action"), {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
        body: JSON.stringify({ command: wr.elements.command.value,
                               mock: wr.elements.mock.checked })
      }).then(function (r) { return r.text().then(function (t) { return [r.status, t]; }); })
        .then(function (x) {
          out.textContent = x[0] + " " + x[1];
          if (x[0] < 300) setTimeout(function () { location.reload(); }, 300);
        }).catch(function (err) { out.textContent = String(err); });
    });
  }
})();
