// The browser softphone on the agent dashboard: one WebRTC session with the server while
// it is on (no negotiation per call), the microphone of the agent's choice, and the call's
// controls: mute (here, in the browser), hold, keypad and end (on the server).
(function () {
  "use strict";
  var panel = document.getElementById("softphone");
  if (!panel || panel.dataset.unavailable) { return; }
  var T = JSON.parse(document.getElementById("agent-i18n").textContent).softphone;
  var API = "/api/v1/softphone";
  var STORE_ON = "helpline.softphone.on";
  var STORE_MIC = "helpline.softphone.microphone";
  var VOICE_KINDS = ["call", "callback", "campaign_dial"];
  var GATHER_TIMEOUT_MS = 3000;
  var POLL_MS = 5000;
  var $ = function (id) { return document.getElementById(id); };

  var pc = null;          // the RTCPeerConnection while on
  var stream = null;      // the microphone's MediaStream
  var sessionId = null;   // the server's id for this session
  var wanted = false;     // the agent switched it on (and has not switched it off)
  var broken = false;     // on, but the connection was lost: Reconnect
  var muted = false;
  var held = false;
  var contact = null;     // the connected voice contact (from the live agent view)
  var poller = null;
  var attempt = 0;        // a newer attempt to connect makes older ones give up

  function store(key, value) {
    try { if (value === null) { localStorage.removeItem(key); } else { localStorage.setItem(key, value); } }
    catch (e) { /* private mode: nothing is remembered */ }
  }
  function stored(key) {
    try { return localStorage.getItem(key); } catch (e) { return null; }
  }

  // ---- what the panel shows ---------------------------------------------------------

  function showError(message, canReconnect) {
    var box = $("softphone-error");
    box.textContent = message || "";
    box.hidden = !message;
    $("softphone-reconnect").hidden = !canReconnect;
  }
  function showNote(message) {
    var box = $("softphone-note");
    box.textContent = message || "";
    box.hidden = !message;
  }

  function render() {
    var connected = pc !== null && pc.connectionState === "connected";
    var state = "off";
    if (wanted && !broken) {
      state = !connected ? "connecting" : !contact ? "ready" : held ? "on_hold" : muted ? "muted" : "on_call";
    }
    panel.dataset.state = state;
    var status = $("softphone-status");
    status.textContent = T[state] || T.off;
    var toggle = $("softphone-toggle");
    toggle.textContent = wanted ? T.switch_off : T.switch_on;
    toggle.setAttribute("aria-pressed", wanted ? "true" : "false");
    toggle.className = wanted ? "secondary" : "";
    $("softphone-call").hidden = !(wanted && !broken && contact);
    var mute = $("softphone-mute");
    mute.textContent = muted ? T.unmute : T.mute;
    mute.setAttribute("aria-pressed", muted ? "true" : "false");
    var hold = $("softphone-hold");
    hold.textContent = held ? T.resume : T.hold;
    hold.setAttribute("aria-pressed", held ? "true" : "false");
    if (wanted && contact && held) { showNote(T.held_note); }
    else if (wanted && muted) { showNote(T.muted_note); }
    else if ($("softphone-note").dataset.sticky !== "1") { showNote(""); }
  }

  function request(method, path, body) {
    return fetch(path, {
      method: method,
      headers: body ? { "content-type": "application/json" } : {},
      body: body ? JSON.stringify(body) : undefined,
      credentials: "same-origin"
    }).then(function (response) {
      return response.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
        var detail = data && data.detail;
        if (detail && typeof detail !== "string") { detail = detail.message || JSON.stringify(detail); }
        return { ok: response.ok, status: response.status, data: data, detail: detail || response.statusText };
      });
    });
  }

  // ---- the microphone ----------------------------------------------------------------

  function micError(error) {
    var name = error && error.name;
    if (name === "NotAllowedError" || name === "SecurityError" || name === "PermissionDeniedError") { return T.denied; }
    if (name === "NotFoundError" || name === "DevicesNotFoundError") { return T.no_microphone; }
    if (name === "NotReadableError" || name === "TrackStartError" || name === "AbortError") { return T.busy; }
    return T.failed + " " + ((error && error.message) || name || "");
  }

  function constraints(deviceId) {
    var audio = { echoCancellation: true, noiseSuppression: true, autoGainControl: true };
    if (deviceId) { audio.deviceId = { exact: deviceId }; }
    return { audio: audio, video: false };
  }

  // The chosen microphone, or the default one when the chosen one is gone.
  function openMicrophone() {
    if (!window.isSecureContext) { return Promise.reject(new Error(T.insecure)); }
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      return Promise.reject(new Error(T.no_media));
    }
    var chosen = stored(STORE_MIC);
    return navigator.mediaDevices.getUserMedia(constraints(chosen)).catch(function (error) {
      if (chosen && (error.name === "OverconstrainedError" || error.name === "NotFoundError")) {
        store(STORE_MIC, null);
        $("softphone-note").dataset.sticky = "1";
        showNote(T.device_gone);
        return navigator.mediaDevices.getUserMedia(constraints(null));
      }
      throw error;
    }).catch(function (error) {
      if (error && error.message && (error.message === T.insecure || error.message === T.no_media)) { throw error; }
      throw new Error(micError(error));
    });
  }

  function listMicrophones() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.enumerateDevices) { return; }
    navigator.mediaDevices.enumerateDevices().then(function (devices) {
      var select = $("softphone-mic");
      var chosen = stored(STORE_MIC) || "";
      var inputs = devices.filter(function (d) { return d.kind === "audioinput" && d.deviceId && d.deviceId !== "default"; });
      select.textContent = "";
      var first = document.createElement("option");
      first.value = ""; first.textContent = T.default_microphone;
      select.appendChild(first);
      inputs.forEach(function (device, index) {
        var option = document.createElement("option");
        option.value = device.deviceId;
        option.textContent = device.label || T.microphone + " " + (index + 1);
        select.appendChild(option);
      });
      select.value = inputs.some(function (d) { return d.deviceId === chosen; }) ? chosen : "";
    });
  }

  function useStream(next) {
    var old = stream;
    stream = next;
    stream.getAudioTracks().forEach(function (track) {
      track.enabled = !muted;
      track.onended = microphoneLost;
    });
    if (old && old !== next) { old.getTracks().forEach(function (t) { t.onended = null; t.stop(); }); }
  }

  // A microphone unplugged while on: carry on with the default one.
  function microphoneLost() {
    if (!wanted) { return; }
    store(STORE_MIC, null);
    $("softphone-note").dataset.sticky = "1";
    showNote(T.device_gone);
    switchMicrophone();
  }

  function switchMicrophone() {
    if (!wanted || !pc) { listMicrophones(); return; }
    openMicrophone().then(function (next) {
      var track = next.getAudioTracks()[0];
      var sender = pc && pc.getSenders().filter(function (s) { return s.track === null || s.track.kind === "audio"; })[0];
      return (sender ? sender.replaceTrack(track) : Promise.resolve()).then(function () {
        useStream(next);
        listMicrophones();
        render();
      });
    }).catch(function (error) { showError(error.message, false); });
  }

  // ---- the session -------------------------------------------------------------------

  function gathered(peer) {
    return new Promise(function (resolve) {
      if (peer.iceGatheringState === "complete") { resolve(); return; }
      var timer = setTimeout(resolve, GATHER_TIMEOUT_MS);
      peer.addEventListener("icegatheringstatechange", function () {
        if (peer.iceGatheringState === "complete") { clearTimeout(timer); resolve(); }
      });
    });
  }

  function closePeer() {
    if (pc) {
      var old = pc;
      pc = null;
      old.onconnectionstatechange = null;
      old.ontrack = null;
      try { old.close(); } catch (e) { /* already closed */ }
    }
    sessionId = null;
  }

  function switchOn() {
    wanted = true;
    broken = false;
    store(STORE_ON, "1");
    showError("", false);
    var mine = ++attempt;
    render();
    openMicrophone().then(function (next) {
      if (mine !== attempt || !wanted) { next.getTracks().forEach(function (t) { t.stop(); }); return null; }
      useStream(next);
      listMicrophones();
      return connect(mine);
    }).catch(function (error) {
      if (mine !== attempt) { return; }
      closePeer();
      var message = error && error.message ? error.message : T.failed;
      var mic = [T.insecure, T.no_media, T.denied, T.no_microphone, T.busy].indexOf(message) >= 0;
      showError(mic ? message : T.failed + " " + message, !mic);
      wanted = mic ? false : wanted;
      broken = !mic;
      if (mic) { store(STORE_ON, null); stopMicrophone(); }
      render();
    });
  }

  function connect(mine) {
    closePeer();
    var peer = pc = new RTCPeerConnection({ iceServers: [] });
    stream.getAudioTracks().forEach(function (track) { peer.addTrack(track, stream); });
    peer.ontrack = function (event) {
      var audio = $("softphone-audio");
      audio.srcObject = event.streams && event.streams[0] ? event.streams[0] : new MediaStream([event.track]);
      play();
    };
    peer.onconnectionstatechange = function () {
      if (peer !== pc) { return; }
      if (peer.connectionState === "failed" || peer.connectionState === "closed") { whyLost(); }
      render();
    };
    return peer.createOffer().then(function (offer) {
      return peer.setLocalDescription(offer);
    }).then(function () {
      return gathered(peer);
    }).then(function () {
      if (mine !== attempt || peer !== pc) { return null; }
      return request("POST", API + "/session", { sdp: peer.localDescription.sdp, type: "offer" });
    }).then(function (answer) {
      if (!answer || mine !== attempt || peer !== pc) { return null; }
      if (!answer.ok) { throw new Error(answer.detail); }
      sessionId = answer.data.session_id;
      return peer.setRemoteDescription({ type: "answer", sdp: answer.data.sdp });
    }).then(function () {
      held = false;
      startPolling();
      render();
    });
  }

  function play() {
    var audio = $("softphone-audio");
    var started = audio.play();
    if (started && started.catch) {
      started.catch(function () {
        // Autoplay refused (the page came back on by itself): the next click allows it.
        $("softphone-note").dataset.sticky = "1";
        showNote(T.click_for_sound);
        document.addEventListener("click", function resume() {
          document.removeEventListener("click", resume);
          $("softphone-note").dataset.sticky = "";
          showNote("");
          audio.play().catch(function () { /* still refused: nothing more to do */ });
        });
      });
    }
  }

  function stopMicrophone() {
    if (stream) { stream.getTracks().forEach(function (t) { t.onended = null; t.stop(); }); }
    stream = null;
  }

  // The connection dropped: because another tab took over, or it was lost?
  function whyLost() {
    request("GET", API + "/session").then(function (answer) {
      var other = answer.ok && answer.data.active && answer.data.session_id !== sessionId;
      lost(other ? T.replaced : T.lost);
    }, function () { lost(T.lost); });
  }

  function lost(message) {
    if (!wanted || broken) { return; }
    attempt++;
    broken = true;
    closePeer();
    stopMicrophone();
    stopPolling();
    held = false;
    showError(message, true);
    render();
  }

  function switchOff() {
    wanted = false;
    broken = false;
    attempt++;
    store(STORE_ON, null);
    closePeer();
    stopMicrophone();
    stopPolling();
    held = false;
    muted = false;
    showError("", false);
    $("softphone-note").dataset.sticky = "";
    showNote("");
    render();
    return request("DELETE", API + "/session");
  }

  // The server's view: is this still our session, is the call held?
  function refresh() {
    if (!wanted || !sessionId) { return; }
    var mine = sessionId;
    request("GET", API + "/session").then(function (answer) {
      if (!wanted || sessionId !== mine || !answer.ok) { return; }
      var state = answer.data;
      if (!state.active) { lost(T.lost); return; }
      if (state.session_id !== mine) { lost(T.replaced); return; }
      held = state.held;
      render();
    });
  }
  function startPolling() {
    stopPolling();
    poller = setInterval(refresh, POLL_MS);
  }
  function stopPolling() {
    if (poller) { clearInterval(poller); poller = null; }
  }

  // ---- the call ----------------------------------------------------------------------

  function setContact(me) {
    var connected = ((me && me.contacts) || []).filter(function (c) {
      return c.state === "connected" && VOICE_KINDS.indexOf(c.kind) >= 0;
    });
    var next = connected[0] || null;
    if (!next || !contact || next.contact_id !== contact.contact_id) {
      held = false;
      $("softphone-keypad").hidden = true;
      $("softphone-keypad-toggle").setAttribute("aria-expanded", "false");
    }
    contact = next;
    render();
    if (contact) { refresh(); }
  }

  function toggleMute() {
    if (!stream) { return; }
    muted = !muted;
    stream.getAudioTracks().forEach(function (track) { track.enabled = !muted; });
    render();
  }

  function toggleHold() {
    if (!contact) { return; }
    var hold = $("softphone-hold");
    hold.disabled = true;
    request("POST", API + (held ? "/unhold" : "/hold")).then(function (answer) {
      hold.disabled = false;
      if (!answer.ok) { showError(answer.detail, false); return; }
      showError("", false);
      held = answer.data.held;
      render();
    }, function () { hold.disabled = false; showError(T.lost, true); });
  }

  function toggleKeypad() {
    var keypad = $("softphone-keypad");
    keypad.hidden = !keypad.hidden;
    $("softphone-keypad-toggle").setAttribute("aria-expanded", keypad.hidden ? "false" : "true");
  }

  var keyTones = null;
  var DTMF = { "1": [697, 1209], "2": [697, 1336], "3": [697, 1477], "4": [770, 1209], "5": [770, 1336],
    "6": [770, 1477], "7": [852, 1209], "8": [852, 1336], "9": [852, 1477], "*": [941, 1209],
    "0": [941, 1336], "#": [941, 1477] };
  function beep(digit) {
    // What the agent hears locally while the key goes to the caller.
    try {
      keyTones = keyTones || new (window.AudioContext || window.webkitAudioContext)();
      var gain = keyTones.createGain();
      gain.gain.value = 0.04;
      gain.connect(keyTones.destination);
      DTMF[digit].forEach(function (frequency) {
        var osc = keyTones.createOscillator();
        osc.frequency.value = frequency;
        osc.connect(gain);
        osc.start();
        osc.stop(keyTones.currentTime + 0.12);
      });
    } catch (e) { /* no sound device */ }
  }

  function sendDigit(digit) {
    if (!contact || !DTMF[digit]) { return; }
    beep(digit);
    request("POST", API + "/dtmf", { digit: digit }).then(function (answer) {
      if (!answer.ok) { showError(answer.detail, false); }
    });
  }

  function endCall() {
    if (!contact) { return; }
    request("POST", "/api/v1/acd/contacts/" + encodeURIComponent(contact.contact_id) + "/end").then(function (answer) {
      if (!answer.ok) { showError(answer.detail, false); }
    });
  }

  // ---- wiring ------------------------------------------------------------------------

  $("softphone-toggle").onclick = function () { if (wanted) { switchOff(); } else { switchOn(); } };
  $("softphone-reconnect").onclick = switchOn;
  $("softphone-mic").onchange = function () {
    store(STORE_MIC, this.value || null);
    $("softphone-note").dataset.sticky = "";
    showNote("");
    switchMicrophone();
  };
  $("softphone-mute").onclick = toggleMute;
  $("softphone-hold").onclick = toggleHold;
  $("softphone-keypad-toggle").onclick = toggleKeypad;
  $("softphone-end").onclick = endCall;
  Array.prototype.forEach.call(document.querySelectorAll("#softphone-keypad [data-digit]"), function (button) {
    button.onclick = function () { sendDigit(button.dataset.digit); };
  });
  if (navigator.mediaDevices && navigator.mediaDevices.addEventListener) {
    navigator.mediaDevices.addEventListener("devicechange", listMicrophones);
  }
  // Alt+M, Alt+H, Alt+K (the dashboard has Alt+A, Alt+E, Alt+W); keys while the keypad is open.
  document.addEventListener("keydown", function (event) {
    var key = (event.key || "").toLowerCase();
    if (event.altKey && !event.ctrlKey && !event.metaKey) {
      if (key === "m" && wanted) { event.preventDefault(); toggleMute(); }
      else if (key === "h" && contact) { event.preventDefault(); toggleHold(); }
      else if (key === "k" && contact) { event.preventDefault(); toggleKeypad(); }
      return;
    }
    var typing = event.target && /^(INPUT|TEXTAREA|SELECT)$/.test(event.target.tagName);
    if (!typing && !event.ctrlKey && !event.metaKey && !$("softphone-keypad").hidden && DTMF[event.key]) {
      sendDigit(event.key);
    }
  });
  window.addEventListener("pagehide", function () {
    // Off with the page, unless a call goes on: a reload then takes it to the new page.
    if (wanted && !contact) {
      fetch(API + "/session", { method: "DELETE", credentials: "same-origin", keepalive: true });
    }
  });

  Helpline.live(["acd.agent_view"], function (initial) {
    setContact(initial && initial.acd ? initial.acd.me : null);
  }, function (event) {
    if (event.type === "acd.agent_view") { setContact(event.payload); }
  });

  listMicrophones();
  render();
  if (stored(STORE_ON) === "1") { switchOn(); }
})();
