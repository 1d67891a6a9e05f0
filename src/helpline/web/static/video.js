// The video room: camera and microphone to the other participant, browser to browser.
// Helpline relays the signalling over the room's WebSocket; the agent makes the offer
// whenever both are present (again after either reloads the page).
(() => {
  "use strict";
  const root = document.getElementById("video-room");
  if (!root) return;
  const labels = JSON.parse(document.getElementById("video-labels").textContent);
  const iceServers = JSON.parse(document.getElementById("video-ice").textContent);
  const role = root.dataset.role;
  const isAgent = role === "agent";
  const statusLine = document.getElementById("video-status");
  const remoteVideo = document.getElementById("remote-video");
  const localVideo = document.getElementById("local-video");
  const muteButton = document.getElementById("video-mute");
  const cameraButton = document.getElementById("video-camera");
  const leaveButton = document.getElementById("video-leave");

  let socket = null;
  let pc = null;
  let local = null;
  let ended = false;
  let pendingCandidates = [];

  const say = (text, state) => {
    statusLine.textContent = text;
    root.dataset.state = state;
  };

  const send = (message) => {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
  };

  async function openMedia() {
    if (!window.isSecureContext) { say(labels.insecure, "error"); return null; }
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      say(labels.no_media, "error");
      return null;
    }
    try {
      return await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
    } catch (error) {
      if (error.name === "NotAllowedError" || error.name === "SecurityError") {
        say(labels.denied, "error");
      } else {
        say(labels.no_device, "error");
      }
      return null;
    }
  }

  function closePeer() {
    if (pc) { pc.onicecandidate = null; pc.ontrack = null; pc.close(); }
    pc = null;
    pendingCandidates = [];
    remoteVideo.srcObject = null;
  }

  function newPeer() {
    closePeer();
    pc = new RTCPeerConnection({ iceServers });
    if (local) {
      for (const track of local.getTracks()) pc.addTrack(track, local);
    } else {
      // Without a camera or microphone one still sees and hears the other.
      pc.addTransceiver("audio", { direction: "recvonly" });
      pc.addTransceiver("video", { direction: "recvonly" });
    }
    pc.onicecandidate = (event) => {
      if (event.candidate) send({ type: "signal", signal: { kind: "candidate", candidate: event.candidate.toJSON() } });
    };
    pc.ontrack = (event) => {
      if (remoteVideo.srcObject !== event.streams[0]) remoteVideo.srcObject = event.streams[0];
    };
    pc.onconnectionstatechange = () => {
      if (pc && pc.connectionState === "connected") say(labels.connected, "connected");
    };
    return pc;
  }

  async function makeOffer() {
    const peer = newPeer();
    say(labels.connecting, "connecting");
    const offer = await peer.createOffer();
    await peer.setLocalDescription(offer);
    send({ type: "signal", signal: { kind: "offer", sdp: peer.localDescription.sdp } });
  }

  async function onSignal(signal) {
    if (signal.kind === "offer") {
      const peer = newPeer();  // a new offer is a new session (the agent reloaded)
      say(labels.connecting, "connecting");
      await peer.setRemoteDescription({ type: "offer", sdp: signal.sdp });
      for (const candidate of pendingCandidates) await peer.addIceCandidate(candidate);
      pendingCandidates = [];
      const answer = await peer.createAnswer();
      await peer.setLocalDescription(answer);
      send({ type: "signal", signal: { kind: "answer", sdp: peer.localDescription.sdp } });
    } else if (signal.kind === "answer" && pc) {
      await pc.setRemoteDescription({ type: "answer", sdp: signal.sdp });
      for (const candidate of pendingCandidates) await pc.addIceCandidate(candidate);
      pendingCandidates = [];
    } else if (signal.kind === "candidate") {
      if (pc && pc.remoteDescription) await pc.addIceCandidate(signal.candidate);
      else pendingCandidates.push(signal.candidate);
    }
  }

  function finish(text) {
    ended = true;
    closePeer();
    if (local) for (const track of local.getTracks()) track.stop();
    for (const button of [muteButton, cameraButton, leaveButton]) button.disabled = true;
    say(text, "ended");
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const key = root.dataset.key;
    const query = key ? `?key=${encodeURIComponent(key)}` : "";
    socket = new WebSocket(`${scheme}://${location.host}/video/ws/${root.dataset.room}${query}`);
    socket.onmessage = async (event) => {
      const message = JSON.parse(event.data);
      if (message.type === "joined") {
        if (message.peer && isAgent) await makeOffer();
        else say(isAgent ? labels.waiting_customer : labels.waiting_agent, "waiting");
      } else if (message.type === "peer_joined") {
        if (isAgent) await makeOffer();
      } else if (message.type === "peer_left") {
        closePeer();
        say(labels.peer_left, "waiting");
      } else if (message.type === "signal") {
        await onSignal(message.signal);
      } else if (message.type === "ended") {
        finish(labels[`ended_${message.by}`] || labels.ended_agent);
      } else if (message.type === "error" && !ended) {
        say(message.message, "error");
      }
    };
    socket.onclose = () => {
      if (!ended && root.dataset.state !== "error") say(labels.lost, "error");
    };
  }

  muteButton.addEventListener("click", () => {
    if (!local) return;
    const tracks = local.getAudioTracks();
    const muted = tracks.some((track) => track.enabled);
    for (const track of tracks) track.enabled = !muted;
    muteButton.textContent = muted ? labels.unmute : labels.mute;
    muteButton.setAttribute("aria-pressed", String(muted));
  });
  cameraButton.addEventListener("click", () => {
    if (!local) return;
    const tracks = local.getVideoTracks();
    const off = tracks.some((track) => track.enabled);
    for (const track of tracks) track.enabled = !off;
    cameraButton.textContent = off ? labels.camera_on : labels.camera_off;
    cameraButton.setAttribute("aria-pressed", String(off));
  });
  leaveButton.addEventListener("click", () => {
    send({ type: "end" });
    finish(isAgent ? labels.ended_agent : labels.ended_customer);
  });

  (async () => {
    local = await openMedia();
    if (local) localVideo.srcObject = local;
    connect();
  })();
})();
