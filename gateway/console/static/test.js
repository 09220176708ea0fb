// The Test page: follows a test message live. It asks GET /api/test/NAME
// every second and shows where the message stands, until the outcome is
// final (sent, refused or set aside as .BAD) or ten minutes have passed.
// Loaded as a file: the CSP forbids inline script.
"use strict";
(function () {
  var box = document.getElementById("outcome");
  if (!box || box.dataset.final === "true") {
    return;
  }
  var name = box.dataset.name;
  var to = box.dataset.to || "";
  var started = Date.now();
  var limit = 10 * 60 * 1000;

  // show puts text in the element id and shows its row only with text.
  function show(id, text) {
    var el = document.getElementById(id);
    if (!el) {
      return;
    }
    el.textContent = text || "";
    var row = document.getElementById("row-" + id);
    if (row) {
      row.hidden = !text;
    }
  }

  function update(o) {
    var state = document.getElementById("state");
    state.textContent = o.state_text;
    state.dataset.state = o.state;
    state.className = "status " + o.class;
    show("reply", o.reply);
    show("queue-id", o.queue_id);
    show("server", o.server);
    show("at", o.at_text);
    show("next", o.next_text);
    show("meaning", o.meaning);
    show("todo", o.todo);
    var label = document.getElementById("cause-label");
    label.textContent = o.cause_label || "";
    document.getElementById("row-reason").hidden = !o.cause_label;
    box.dataset.final = o.final ? "true" : "false";
  }

  function again(ms) {
    if (Date.now() - started < limit) {
      window.setTimeout(tick, ms);
    }
  }

  function tick() {
    var url = "/api/test/" + encodeURIComponent(name) + "?to=" + encodeURIComponent(to);
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) {
        if (!r.ok) {
          throw new Error("HTTP " + r.status);
        }
        return r.json();
      })
      .then(function (o) {
        update(o);
        if (!o.final) {
          again(1000);
        }
      })
      .catch(function () {
        again(2000);
      });
  }

  again(1000);
})();
