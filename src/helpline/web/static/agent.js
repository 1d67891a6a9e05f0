// The agent dashboard: status, offers, contacts and queue cards, kept live over /ws.
(function () {
  "use strict";
  var T = JSON.parse(document.getElementById("agent-i18n").textContent);
  var state = null;
  var offset = 0; // server clock - browser clock, seconds
  var $ = function (id) { return document.getElementById(id); };

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
    var box = $("agent-error");
    box.textContent = message || "";
    box.hidden = !message;
  }

  function call(path, body) {
    showError("");
    return fetch("/api/v1/acd" + path, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body || {}),
      credentials: "same-origin"
    }).then(function (response) {
      if (!response.ok) {
        return response.json().then(function (data) {
          var detail = data.detail;
          showError(typeof detail === "string" ? detail : (detail && detail.message) || T.failed);
        }, function () { showError(T.failed); });
      }
    });
  }

  function queueName(key) {
    var view = state && state.acd.queues[key];
    return view ? view.name : key;
  }

  function renderStatus() {
    var me = state.acd.me;
    var pill = $("my-status");
    if (!me) { pill.textContent = T.not_agent; pill.dataset.status = "none"; return; }
    pill.dataset.status = me.status;
    var label = T.statuses[me.status] || me.status;
    if (me.status === "paused" && me.status_reason) { label += " · " + (T.reasons[me.status_reason] || me.status_reason); }
    pill.textContent = me.status === "logged_out" ? label : label + " · " + duration(now() - me.status_since);
    document.title = (me.open_offers.length ? "(" + me.open_offers.length + ") " : "") + T.title;
  }

  function renderOffer() {
    var me = state.acd.me;
    var offer = me && me.open_offers[0];
    var box = $("offer");
    if (!offer) { box.hidden = true; box.dataset.offerId = ""; return; }
    if (box.dataset.offerId !== String(offer.offer_id)) { ring(); }
    box.hidden = false;
    box.dataset.offerId = offer.offer_id;
    $("offer-title").textContent = T.kinds[offer.kind] || offer.kind;
    $("offer-queue").textContent = offer.queue_name;
    $("offer-caller").textContent = offer.caller_id || T.unknown_caller;
  }

  function renderWork() {
    var me = state.acd.me;
    var rows = $("work-rows");
    rows.textContent = "";
    var contacts = (me && me.contacts) || [];
    $("work").hidden = contacts.length === 0;
    contacts.forEach(function (c) {
      var tr = el("tr");
      tr.appendChild(el("td", T.kinds[c.kind] || c.kind));
      tr.appendChild(el("td", c.queue_name));
      tr.appendChild(el("td", c.caller_id || T.unknown_caller));
      tr.appendChild(el("td", T.contact_states[c.state] || c.state));
      var actions = el("td");
      if (c.state === "connected") {
        var end = el("button", T.end, { type: "button", "data-testid": "contact-end" });
        end.onclick = function () { call("/contacts/" + encodeURIComponent(c.contact_id) + "/end"); };
        actions.appendChild(end);
      } else if (c.state === "wrap_up") {
        var view = state.acd.queues[c.queue_id];
        if (!view || view.agent_may_end_wrap_up) {
          var done = el("button", T.end_wrap_up, { type: "button", "data-testid": "wrap-up-end" });
          done.onclick = function () { call("/me/wrap-up/end", { contact_id: c.contact_id }); };
          actions.appendChild(done);
        }
      }
      tr.appendChild(actions);
      rows.appendChild(tr);
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

  function renderCards() {
    var box = $("queue-cards");
    box.textContent = "";
    var me = state.acd.me;
    var keys = Object.keys(state.acd.queues).sort(function (a, b) {
      return queueName(a).localeCompare(queueName(b));
    });
    $("no-queues").hidden = keys.length > 0;
    keys.forEach(function (key) {
      var view = state.acd.queues[key];
      var card = view.card;
      var section = el("section", null, { "class": "card queue-card", "data-queue": key });
      section.appendChild(el("h3", view.name));
      var list = el("dl", null, { "class": "metrics" });
      if (card.chat) { chatMetrics(list, card); section.appendChild(list); }
      else {
      metric(list, T.metrics.waiting, card.waiting);
      metric(list, T.metrics.agents_logged_in, card.agents_logged_in);
      metric(list, T.metrics.longest_wait, card.oldest_queued_at ? duration(now() - card.oldest_queued_at) : "0:00");
      metric(list, T.metrics.average_handle_time, duration(card.average_handle_time));
      metric(list, T.metrics.total_today, card.total_today);
      metric(list, T.metrics.outcomes, card.abandoned + " / " + card.expired + " / " + card.handled);
      section.appendChild(list);
      }
      if (me) {
        var inQueue = me.queues.indexOf(key) >= 0;
        var paused = me.paused_queues.indexOf(key) >= 0;
        var mine = el("div", null, { "class": "my-queue-status" });
        mine.appendChild(el("span", T.my_status + ": " + (!inQueue ? T.statuses.logged_out : paused ? T.statuses.paused : T.in_queue)));
        var menu = el("select", null, { "aria-label": T.my_status, "data-testid": "queue-status" });
        menu.appendChild(el("option", T.change, { value: "" }));
        if (!inQueue) { menu.appendChild(el("option", T.log_in, { value: "login" })); }
        else {
          if (paused) { menu.appendChild(el("option", T.ready_now, { value: "ready" })); }
          (T.pause_reasons.length ? T.pause_reasons : [null]).forEach(function (reason) {
            menu.appendChild(el("option", reason ? T.pause + " " + reason : T.pause_all, { value: "pause:" + (reason || "") }));
          });
          menu.appendChild(el("option", T.log_out, { value: "logout" }));
        }
        menu.onchange = function () {
          var v = menu.value;
          if (v === "login") { call("/me/login", { queue_ids: [key] }); }
          else if (v === "ready") { call("/me/ready", { queue_id: key }); }
          else if (v === "logout") { call("/me/logout", { queue_id: key }); }
          else if (v.indexOf("pause:") === 0) {
            var reason = v.slice(6);
            call("/me/pause", reason ? { queue_id: key, reason: reason } : { queue_id: key });
          }
          menu.value = "";
        };
        mine.appendChild(menu);
        section.appendChild(mine);
      }
      box.appendChild(section);
    });
  }

  function render() {
    if (!state) { return; }
    renderStatus(); renderOffer(); renderWork(); renderCards();
  }

  var audio = null;
  function ring() {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      var osc = audio.createOscillator(), gain = audio.createGain();
      osc.frequency.value = 880; gain.gain.value = 0.05;
      osc.connect(gain); gain.connect(audio.destination);
      osc.start(); osc.stop(audio.currentTime + 0.4);
    } catch (e) { /* no sound device: the title badge still shows the offer */ }
  }

  function openLogin() {
    var me = state && state.acd.me;
    var box = $("login-queues");
    box.textContent = "";
    ((me && me.memberships) || []).forEach(function (key) {
      var label = el("label", null, { "class": "check" });
      var input = el("input", null, { type: "checkbox", name: "queue", value: key });
      input.checked = true;
      label.appendChild(input);
      label.appendChild(document.createTextNode(" " + queueName(key)));
      box.appendChild(label);
    });
    $("login-dialog").showModal();
  }

  $("login-open").onclick = openLogin;
  $("login-form").addEventListener("submit", function (event) {
    if (event.submitter && event.submitter.value !== "login") { return; }
    var chosen = Array.prototype.map.call(
      document.querySelectorAll("#login-queues input:checked"), function (i) { return i.value; });
    var line = document.querySelector("#login-form select[name=line]");
    var body = { queue_ids: chosen };
    if (line) { body.line = line.value; }
    call("/me/login", body);
  });
  $("offer-accept").onclick = function () {
    var offer = state && state.acd.me && state.acd.me.open_offers[0];
    var accepted = call("/offers/" + $("offer").dataset.offerId + "/accept");
    // An accepted chat opens in the chat workspace (contact ids are "chat:<conversation>:<n>").
    var parts = offer && offer.kind === "chat" ? String(offer.contact_id).split(":") : [];
    if (parts.length === 3) {
      accepted.then(function () {
        if ($("agent-error").hidden) { location.assign("/agent/chats?conversation=" + encodeURIComponent(parts[1])); }
      });
    }
  };
  $("offer-decline").onclick = function () { call("/offers/" + $("offer").dataset.offerId + "/decline"); };
  var menu = $("status-menu");
  if (menu) {
    menu.onchange = function () {
      var v = menu.value;
      if (v === "ready") { call("/me/ready"); }
      else if (v === "logout") { call("/me/logout"); }
      else if (v.indexOf("pause:") === 0) { call("/me/pause", { reason: v.slice(6) }); }
      menu.selectedIndex = 0;
    };
  } else {
    $("pause-all").onclick = function () { call("/me/pause"); };
    $("ready-all").onclick = function () { call("/me/ready"); };
    $("logout-all").onclick = function () { call("/me/logout"); };
  }
  document.addEventListener("keydown", function (event) {
    if (!event.altKey) { return; }
    if (event.key === "a" && !$("offer").hidden) { $("offer-accept").click(); }
    if (event.key === "e") { var b = document.querySelector("[data-testid=contact-end]"); if (b) { b.click(); } }
    if (event.key === "w") { var w = document.querySelector("[data-testid=wrap-up-end]"); if (w) { w.click(); } }
  });

  Helpline.live(["acd.queue_view", "acd.agent_view"], function (initial, _last, serverTime) {
    state = initial;
    if (serverTime) { offset = serverTime - Date.now() / 1000; }
    render();
  }, function (event) {
    if (!state) { return; }
    if (event.type === "acd.queue_view") { state.acd.queues[event.payload.queue_id] = event.payload; }
    else if (event.type === "acd.agent_view") { state.acd.me = event.payload; }
    render();
  });
  setInterval(function () { if (state) { renderStatus(); renderCards(); } }, 1000);
})();
