// The agent's call controls: recording pause/resume and the 3-way call (add, drop, leave).
// It asks /api/v1/calls/me every 2 s while the page is visible: 404 means no call.
(function () {
  "use strict";
  var T = JSON.parse(document.getElementById("agent-i18n").textContent).call_controls;
  var $ = function (id) { return document.getElementById(id); };
  var box = $("call-controls");
  if (!box || !T) { return; }
  var current = null;
  var timer = null;

  function showError(message) {
    var error = $("agent-error");
    error.textContent = message || "";
    error.hidden = !message;
  }
  function request(method, path, body) {
    showError("");
    return fetch("/api/v1/calls/me" + path, {
      method: method,
      headers: { "content-type": "application/json" },
      body: body ? JSON.stringify(body) : undefined,
      credentials: "same-origin"
    }).then(function (response) {
      if (!response.ok) {
        return response.json().then(function (data) {
          var detail = data.detail;
          showError(typeof detail === "string" ? detail : (detail && detail.message) || "");
        }, function () { showError(""); }).then(refresh);
      }
      return refresh();
    });
  }
  function button(label, testid, onclick, danger) {
    var node = document.createElement("button");
    node.type = "button";
    node.className = danger ? "danger" : "secondary";
    node.textContent = label;
    node.setAttribute("data-testid", testid);
    node.onclick = onclick;
    return node;
  }
  function render(state) {
    current = state;
    box.hidden = !state;
    if (!state) { return; }
    var recording = state.recording;
    var toggle = $("recording-toggle");
    $("recording-state").textContent = !recording.enabled ? T.recording_off
      : recording.paused ? T.recording_paused : T.recording_on;
    toggle.hidden = !recording.enabled;
    toggle.textContent = recording.paused ? T.resume_recording : T.pause_recording;
    var list = $("party-list");
    list.textContent = "";
    state.parties.forEach(function (party) {
      var item = document.createElement("li");
      item.setAttribute("data-testid", "party");
      item.appendChild(document.createTextNode(
        party.target + " · " + (party.state === "joined" ? T.joined : T.ringing) + " "));
      item.appendChild(button(T.drop, "party-drop", function () {
        request("DELETE", "/parties/" + encodeURIComponent(party.party_id));
      }));
      if (party.state === "joined") {
        item.appendChild(button(T.leave, "party-leave", function () { request("POST", "/leave"); }, true));
      }
      list.appendChild(item);
    });
    $("party-form").hidden = state.parties.length > 0;
    var note = $("monitored-note");
    note.hidden = !state.monitors.length;
    note.textContent = T.monitored;
  }
  function refresh() {
    if (document.hidden) { return Promise.resolve(); }
    return fetch("/api/v1/calls/me", { credentials: "same-origin" }).then(function (response) {
      if (response.status === 204) { render(null); return; }  // on no call
      if (response.ok) { return response.json().then(render); }
      if (response.status === 503 && timer) { clearInterval(timer); }  // no voice here
      render(null);
    }, function () { render(null); });
  }
  $("recording-toggle").onclick = function () {
    if (!current) { return; }
    request("POST", current.recording.paused ? "/recording/resume" : "/recording/pause");
  };
  $("party-form").onsubmit = function (event) {
    event.preventDefault();
    var target = $("party-target").value.trim();
    if (!target) { return; }
    request("POST", "/parties", { target: target }).then(function () { $("party-target").value = ""; });
  };
  refresh();
  timer = setInterval(refresh, 2000);
})();
