// Supervisor dashboard: live queue cards, and a queue's agents and Waiting tables.
(function () {
  "use strict";
  var T = JSON.parse(document.getElementById("supervisor-i18n").textContent);
  var state = null;
  var offset = 0;
  var $ = function (id) { return document.getElementById(id); };
  var header = $("queue-name");
  var queueKey = header ? header.dataset.queue : null;

  function now() { return Date.now() / 1000 + offset; }
  function duration(seconds) {
    if (seconds === null || seconds === undefined) { return "—"; }
    seconds = Math.max(0, Math.round(seconds));
    var m = Math.floor(seconds / 60), s = seconds % 60;
    return m + ":" + (s < 10 ? "0" : "") + s;
  }
  function el(tag, text, attrs) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = text; }
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    return node;
  }
  function showError(message) {
    var box = $("supervisor-error");
    if (!box) { return; }
    box.textContent = message || "";
    box.hidden = !message;
  }
  function post(path, body) {
    showError("");
    return fetch("/api/v1/acd" + path, {
      method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify(body || {}), credentials: "same-origin"
    }).then(function (response) {
      if (!response.ok) {
        response.json().then(function (data) {
          showError(typeof data.detail === "string" ? data.detail : T.failed);
        }, function () { showError(T.failed); });
      }
      return response;
    });
  }
  // Monitoring an agent's call: the supervisor's phone (or softphone) is called and joins.
  function monitor(agentId, mode) {
    showError("");
    return fetch("/api/v1/calls/agents/" + agentId + "/monitor", {
      method: mode ? "PUT" : "DELETE", headers: { "content-type": "application/json" },
      body: mode ? JSON.stringify({ mode: mode }) : undefined, credentials: "same-origin"
    }).then(function (response) {
      if (!response.ok) {
        response.json().then(function (data) {
          var detail = data.detail;
          showError(typeof detail === "string" ? detail : (detail && detail.message) || T.failed);
        }, function () { showError(T.failed); });
      } else {
        var note = $("monitor-note");
        if (note) { note.textContent = mode ? T.monitor.calling : ""; note.hidden = !mode; }
      }
      return response;
    });
  }
  function monitorButton(agentId, mode, label, testid) {
    var button = el("button", label, { type: "button", "class": "secondary", "data-testid": testid });
    button.onclick = function () { monitor(agentId, mode); };
    return button;
  }
  // The queue's call recordings, a row per call segment with a link per file.
  function loadRecordings() {
    var rows = $("recordings-rows");
    if (!rows || !queueKey) { return; }
    fetch("/api/v1/recordings?queue_id=" + encodeURIComponent(queueKey), { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : []; })
      .then(function (recordings) {
        rows.textContent = "";
        var segments = {};
        var order = [];
        recordings.forEach(function (r) {
          var key = r.call_id + "#" + r.segment;
          if (!segments[key]) { segments[key] = []; order.push(key); }
          segments[key].push(r);
        });
        order.forEach(function (key) {
          var kinds = ["mixed", "caller", "agent", "third_party"];
          var files = segments[key].sort(function (a, b) { return kinds.indexOf(a.kind) - kinds.indexOf(b.kind); });
          var first = files[0];
          var tr = el("tr", null, { "data-testid": "recording-row" });
          tr.appendChild(el("td", first.call_id.slice(0, 12) + (first.segment > 1 ? " · " + first.segment : "")));
          tr.appendChild(el("td", new Date(first.started_at).toLocaleString()));
          tr.appendChild(el("td", first.duration_ms === null ? "—" : duration(first.duration_ms / 1000)));
          var cell = el("td");
          files.forEach(function (r) {
            var label = (T.recording_kinds && T.recording_kinds[r.kind]) || r.kind;
            cell.appendChild(el("a", label, { href: "/api/v1/recordings/" + r.id + "/file", download: "", "data-testid": "recording-file" }));
            cell.appendChild(document.createTextNode(" "));
          });
          tr.appendChild(cell);
          rows.appendChild(tr);
        });
        $("no-recordings").hidden = order.length > 0;
      });
  }
  function metric(list, label, value) {
    list.appendChild(el("dt", label));
    list.appendChild(el("dd", value));
  }
  function chatMetrics(list, card) {
    // A chat queue's card: its conversations (DESIGN.md §3).
    var chat = card.chat;
    var since = function (at) { return at ? duration(now() - at) : "0:00"; };
    metric(list, T.metrics.unassigned, chat.unassigned);
    metric(list, T.metrics.agents_logged_in, card.agents_logged_in);
    metric(list, T.metrics.longest_unassigned, since(chat.oldest_unassigned_at));
    metric(list, T.metrics.longest_reply_wait, since(chat.oldest_awaiting_reply_at));
    metric(list, T.metrics.waiting_for_agent, chat.waiting_for_agent);
    metric(list, T.metrics.waiting_for_customer, chat.waiting_for_customer);
    metric(list, T.metrics.total_waiting_reply, chat.total_waiting_for_reply);
  }

  function fillCard(section, view, link) {
    var card = view.card;
    var title = el("h3");
    if (link) { title.appendChild(el("a", view.name, { href: "/supervisor/queues/" + view.queue_id })); }
    else { title.textContent = view.name; }
    section.appendChild(title);
    var list = el("dl", null, { "class": "metrics" });
    if (card.chat) { chatMetrics(list, card); section.appendChild(list); return; }
    metric(list, T.metrics.waiting, card.waiting);
    metric(list, T.metrics.agents_logged_in, card.agents_logged_in);
    metric(list, T.metrics.longest_wait, card.oldest_queued_at ? duration(now() - card.oldest_queued_at) : "0:00");
    metric(list, T.metrics.average_handle_time, duration(card.average_handle_time));
    metric(list, T.metrics.total_today, card.total_today);
    metric(list, T.metrics.outcomes, card.abandoned + " / " + card.expired + " / " + card.handled);
    if (card.service_level !== null) {
      metric(list, T.metrics.service_level + " (" + card.service_level_seconds + " s)", Math.round(card.service_level * 100) + " %");
    }
    section.appendChild(list);
  }
  function renderCards() {
    var box = $("queue-cards");
    if (!box) { return; }
    box.textContent = "";
    var keys = Object.keys(state.acd.queues).sort(function (a, b) {
      return state.acd.queues[a].name.localeCompare(state.acd.queues[b].name);
    });
    $("no-queues").hidden = keys.length > 0;
    keys.forEach(function (key) {
      var section = el("section", null, { "class": "card queue-card", "data-queue": key });
      fillCard(section, state.acd.queues[key], true);
      section.onclick = function (event) {
        if (event.target.tagName !== "A") { location.href = "/supervisor/queues/" + key; }
      };
      box.appendChild(section);
    });
  }
  function action(label, path, testid) {
    var button = el("button", label, { type: "button", "class": "secondary", "data-testid": testid });
    button.onclick = function () { post(path); };
    return button;
  }
  function renderDetail() {
    var view = state.acd.queues[queueKey];
    if (!view) { showError(T.not_visible); return; }
    header.textContent = view.name;
    var cardBox = $("queue-card");
    cardBox.textContent = "";
    fillCard(cardBox, view, false);
    var rows = $("agents-rows");
    rows.textContent = "";
    view.agents.forEach(function (a) {
      var tr = el("tr", null, { "data-agent": a.agent_id });
      var name = T.users[a.agent_id] || a.agent_id;
      tr.appendChild(el("td", name + (a.temporary ? " · " + T.temporary : "")));
      var status = !a.logged_in ? T.statuses.logged_out
        : a.paused_in_queue ? T.statuses.paused + (a.queue_pause_reason ? " · " + a.queue_pause_reason : "")
        : (T.statuses[a.status] || a.status) + (a.status === "paused" && a.status_reason ? " · " + (T.reasons[a.status_reason] || a.status_reason) : "");
      tr.appendChild(el("td", status, { "data-testid": "agent-status" }));
      tr.appendChild(el("td", a.status_since > 0 && a.logged_in ? duration(now() - a.status_since) : "—"));
      tr.appendChild(el("td", a.line || ""));
      var cell = el("td");
      var base = "/queues/" + queueKey + "/agents/" + a.agent_id + "/";
      if (!a.logged_in) { cell.appendChild(action(T.log_in, base + "login", "agent-login")); }
      else {
        cell.appendChild(action(T.log_out, base + "logout", "agent-logout"));
        if (a.paused_in_queue) { cell.appendChild(action(T.ready, base + "ready", "agent-ready")); }
        else { cell.appendChild(action(T.pause_all, base + "pause", "agent-pause")); }
      }
      if (a.status === "wrap_up") { cell.appendChild(action(T.end_wrap_up, base + "end-wrap-up", "agent-end-wrap-up")); }
      if (a.status === "busy" && T.monitor) {
        cell.appendChild(monitorButton(a.agent_id, "listen", T.monitor.listen, "agent-monitor-listen"));
        cell.appendChild(monitorButton(a.agent_id, "whisper", T.monitor.whisper, "agent-monitor-whisper"));
        cell.appendChild(monitorButton(a.agent_id, "barge", T.monitor.barge, "agent-monitor-barge"));
        cell.appendChild(monitorButton(a.agent_id, null, T.monitor.stop, "agent-monitor-stop"));
      }
      tr.appendChild(cell);
      rows.appendChild(tr);
    });
    var waiting = $("waiting-rows");
    waiting.textContent = "";
    view.waiting.forEach(function (w) {
      var tr = el("tr");
      tr.appendChild(el("td", w.position));
      tr.appendChild(el("td", duration(now() - w.queued_at)));
      tr.appendChild(el("td", w.state === "offered" ? T.offered : duration(w.estimated_wait)));
      tr.appendChild(el("td", w.caller_id || T.unknown_caller));
      var tags = el("td");
      if (w.callback) { tags.appendChild(el("span", T.callback, { "class": "badge" })); }
      tr.appendChild(tags);
      waiting.appendChild(tr);
    });
  }
  function render() {
    if (!state) { return; }
    if (queueKey) { renderDetail(); } else { renderCards(); }
  }
  function loadCandidates() {
    var search = $("candidate-search").value, role = $("candidate-role").value;
    var query = "?search=" + encodeURIComponent(search) + (role ? "&role=" + role : "");
    fetch("/api/v1/acd/queues/" + queueKey + "/candidates" + query, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (rows) {
        var body = $("candidate-rows");
        body.textContent = "";
        rows.forEach(function (c) {
          var tr = el("tr");
          var who = el("td", c.display_name + " (" + c.username + ")");
          if (!c.agent && c.active) {
            // Not an agent: logging them in makes them a temporary agent of this queue.
            who.appendChild(document.createTextNode(" "));
            who.appendChild(el("span", T.temporary_agent, { "class": "badge", "data-testid": "candidate-temporary" }));
          }
          tr.appendChild(who);
          var devices = el("td");
          c.lines.forEach(function (line) {
            var label = line.extension + (line.registered_phones ? " \u260E" : "");
            devices.appendChild(el("span", label, { "class": "badge" + (line.active ? " active" : ""), title: line.active ? T.active_device : "" }));
          });
          tr.appendChild(devices);
          var cell = el("td");
          if (c.logged_in) { cell.textContent = T.in_queue; }
          else if (c.can_log_in) {
            var b = el("button", T.log_in, { type: "button", "data-testid": "candidate-login" });
            b.onclick = function () {
              post("/queues/" + queueKey + "/agents/" + c.id + "/login").then(loadCandidates);
            };
            cell.appendChild(b);
          } else { cell.textContent = T.why_not[c.why_not] || c.why_not || ""; }
          tr.appendChild(cell);
          body.appendChild(tr);
        });
      });
  }
  if (queueKey) {
    $("log-agents-open").onclick = function () { $("log-agents").showModal(); loadCandidates(); };
    $("candidate-search").oninput = loadCandidates;
    $("candidate-role").onchange = loadCandidates;
    if ($("recordings-refresh")) { $("recordings-refresh").onclick = loadRecordings; loadRecordings(); }
  }
  Helpline.live(["acd.queue_view"], function (initial, _last, serverTime) {
    state = initial;
    if (serverTime) { offset = serverTime - Date.now() / 1000; }
    render();
  }, function (event) {
    if (!state) { return; }
    if (event.type === "acd.queue_view") { state.acd.queues[event.payload.queue_id] = event.payload; }
    render();
  });
  setInterval(render, 1000);
})();
