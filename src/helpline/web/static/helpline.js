// Helpline's live updates: register, receive the initial state, then apply events.
// Pages that show live data call Helpline.live(eventTypes, onState, onEvent).
(function () {
  "use strict";
  function live(eventTypes, onState, onEvent) {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + location.host + "/ws");
    socket.onopen = function () {
      socket.send(JSON.stringify({ type: "register", event_types: eventTypes }));
    };
    socket.onmessage = function (message) {
      var data = JSON.parse(message.data);
      if (data.type === "state") { onState(data.state, data.last_event_id, data.server_time); }
      else if (data.type === "event") { onEvent(data.event); }
      else if (data.type === "error" && data.code === "queue_lost") {
        // Too far behind: start again from a fresh state.
        socket.close(); setTimeout(function () { live(eventTypes, onState, onEvent); }, 500);
      }
    };
    socket.onclose = function (event) {
      if (event.code !== 1000 && event.code !== 4401) {
        setTimeout(function () { live(eventTypes, onState, onEvent); }, 2000);
      }
    };
    return socket;
  }
  function copyText(text, button) {
    navigator.clipboard.writeText(text).then(function () {
      if (button) { button.dataset.copied = "1"; button.textContent = button.dataset.copiedLabel || "✓"; }
    });
  }
  window.Helpline = { live: live, copyText: copyText };
})();
