// Helpline webchat: add it to any page with one tag,
//   <script src="https://helpline.example/static/webchat.js" data-widget="KEY" async></script>
// Optional data attributes: data-color, data-text-color, data-greeting (override the
// widget's settings). The visitor's token stays in localStorage, so the conversation
// survives page reloads. Plain JavaScript, no dependencies.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.dataset.widget) { return; }
  var KEY = script.dataset.widget;
  var BASE = new URL(script.src, location.href).origin;
  var API = BASE + "/webchat/api/" + encodeURIComponent(KEY);
  var STORE = "helpline-webchat:" + KEY;
  var config = null, T = {}, socket = null, typingTimer = null, lastTyping = 0;

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }
  function token() { try { return localStorage.getItem(STORE); } catch (e) { return null; } }
  function setToken(value) { try { if (value) { localStorage.setItem(STORE, value); } else { localStorage.removeItem(STORE); } } catch (e) { /* private mode */ } }
  function request(path, options) {
    options = options || {};
    options.headers = options.headers || {};
    if (token()) { options.headers.authorization = "Bearer " + token(); }
    return fetch(API + path, options).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          var detail = data.detail;
          var message = typeof detail === "string" ? detail : (detail && detail.message) || T.failed;
          var error = new Error(message); error.status = response.status; throw error;
        }
        return data;
      });
    });
  }

  var host = el("div", { "class": "hlwc", "data-testid": "webchat" });
  var shadow = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
  var style = el("style");
  shadow.appendChild(style);
  var launcher = el("button", { type: "button", "class": "launcher", "data-testid": "webchat-launcher", "aria-expanded": "false" }, "💬");
  var panel = el("section", { "class": "panel", hidden: "", role: "dialog", "data-testid": "webchat-panel" });
  var head = el("header");
  var title = el("strong");
  var closeButton = el("button", { type: "button", "class": "close" }, "×");
  head.appendChild(title); head.appendChild(closeButton);
  var greeting = el("p", { "class": "greeting" });
  var body = el("div", { "class": "body" });
  var notice = el("p", { "class": "notice", "data-testid": "webchat-notice", "aria-live": "polite" });
  var errorBox = el("p", { "class": "error", role: "alert", hidden: "" });
  panel.appendChild(head); panel.appendChild(greeting); panel.appendChild(body); panel.appendChild(notice); panel.appendChild(errorBox);
  shadow.appendChild(launcher); shadow.appendChild(panel);

  function showError(message) { errorBox.textContent = message || ""; errorBox.hidden = !message; }
  function paint() {
    var color = script.dataset.color || config.color, text = script.dataset.textColor || config.text_color;
    style.textContent = [
      ":host, .wrap { all: initial; }",
      ".launcher { position: fixed; right: 20px; bottom: 20px; width: 56px; height: 56px; border-radius: 50%; border: 0; cursor: pointer; font-size: 24px; background: " + color + "; color: " + text + "; box-shadow: 0 4px 12px rgba(0,0,0,.25); z-index: 2147483000; }",
      ".panel { position: fixed; right: 20px; bottom: 88px; width: 340px; max-width: calc(100vw - 40px); height: 480px; max-height: calc(100vh - 120px); display: flex; flex-direction: column; background: #fff; color: #1c2230; border-radius: 12px; box-shadow: 0 8px 24px rgba(0,0,0,.25); font: 14px/1.4 system-ui, sans-serif; overflow: hidden; z-index: 2147483000; }",
      ".panel[hidden] { display: none; }",
      "header { display: flex; justify-content: space-between; align-items: center; padding: 10px 14px; background: " + color + "; color: " + text + "; }",
      "header button { background: none; border: 0; color: inherit; font-size: 20px; cursor: pointer; }",
      ".greeting { margin: 8px 14px 0; color: #555; }",
      ".body { flex: 1; overflow-y: auto; padding: 8px 14px; display: flex; flex-direction: column; gap: 6px; }",
      "form { display: flex; flex-direction: column; gap: 6px; }",
      "input, textarea { font: inherit; padding: 6px 8px; border: 1px solid #ccd; border-radius: 6px; }",
      "button.primary { background: " + color + "; color: " + text + "; border: 0; border-radius: 6px; padding: 7px 12px; cursor: pointer; }",
      ".msg { max-width: 80%; padding: 6px 10px; border-radius: 10px; background: #eef0f4; align-self: flex-start; white-space: pre-wrap; word-wrap: break-word; }",
      ".msg.me { align-self: flex-end; background: " + color + "; color: " + text + "; }",
      ".msg a { color: inherit; display: block; }",
      ".msg img { max-width: 100%; border-radius: 6px; display: block; }",
      ".composer { display: flex; gap: 6px; padding: 8px 14px; border-top: 1px solid #e4e6eb; align-items: center; }",
      ".composer textarea { flex: 1; resize: none; height: 36px; }",
      ".transcript { display: flex; gap: 6px; padding: 4px 14px; font-size: 12px; align-items: center; }",
      ".transcript input { flex: 1; font: inherit; }",
      ".transcript .link { background: none; border: 0; padding: 0; color: inherit; text-decoration: underline; cursor: pointer; font: inherit; }",
      ".notice { margin: 0 14px 6px; color: #555; min-height: 1em; }",
      ".error { margin: 0 14px 8px; color: #b00020; }"
    ].join("\n");
    title.textContent = config.name;
    launcher.setAttribute("aria-label", T.open);
    launcher.title = T.open;
    closeButton.setAttribute("aria-label", T.close);
    greeting.textContent = script.dataset.greeting || config.greeting || "";
    greeting.hidden = !greeting.textContent;
  }

  function field(form, name, label, type, required) {
    var input = el(type === "textarea" ? "textarea" : "input", { name: name, "aria-label": label, placeholder: label, "data-testid": "webchat-" + name });
    if (type !== "textarea") { input.type = type; }
    if (required) { input.required = true; }
    form.appendChild(input);
    return input;
  }

  function preChat() {
    body.textContent = "";
    var form = el("form", { "data-testid": "webchat-prechat" });
    var offline = !config.online;
    if (offline) { form.appendChild(el("p", {}, T.offline)); }
    var name = field(form, "name", T.name, "text", true);
    var email = field(form, "email", T.email, "email", offline);
    var text = offline ? field(form, "text", T.placeholder, "textarea", true) : null;
    form.appendChild(el("button", { type: "submit", "class": "primary", "data-testid": "webchat-start" }, offline ? T.leave_message : T.start));
    form.onsubmit = function (event) {
      event.preventDefault();
      showError("");
      var payload = { name: name.value, email: email.value || null };
      if (offline) { payload.text = text.value; }
      request(offline ? "/offline" : "/visitors", {
        method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(payload)
      }).then(function (data) {
        setToken(data.token);
        if (offline) { notice.textContent = T.left_message; }
        chat();
      }, function (error) { showError(error.message); });
    };
    body.appendChild(form);
  }

  var list = null, composer = null;
  function addMessage(message) {
    if (list.querySelector("[data-id='" + message.id + "']")) { return; }
    var bubble = el("div", { "class": "msg" + (message.from === "me" ? " me" : ""), "data-id": String(message.id), "data-testid": "webchat-message" });
    if (message.text) { bubble.appendChild(el("span", {}, message.text)); }
    (message.attachments || []).forEach(function (file) {
      var link = el("a", { href: file.url, target: "_blank", rel: "noopener", "data-testid": "webchat-attachment" });
      if (file.content_type.indexOf("image/") === 0) { link.appendChild(el("img", { src: file.url, alt: file.filename })); }
      else { link.textContent = "📎 " + file.filename; }
      bubble.appendChild(link);
    });
    list.appendChild(bubble);
    list.scrollTop = list.scrollHeight;
  }
  function showPlace(state) {
    if (state.status === "open" && state.position) {
      var text = T.position.replace("{position}", state.position);
      if (state.estimated_wait !== null && state.estimated_wait !== undefined) {
        text += " " + T.wait.replace("{minutes}", Math.max(1, Math.round(state.estimated_wait / 60)));
      }
      notice.textContent = text;
    } else if (state.status === "assigned") { notice.textContent = T.connected; }
    else if (state.status === "resolved") { notice.textContent = T.resolved; }
  }

  function chat() {
    body.textContent = "";
    list = el("div", { "class": "messages", "data-testid": "webchat-messages" });
    body.appendChild(list);
    if (!composer) {
      composer = el("form", { "class": "composer" });
      var text = el("textarea", { "aria-label": T.placeholder, placeholder: T.placeholder, "data-testid": "webchat-text" });
      var files = el("input", { type: "file", multiple: "", accept: "image/*,video/*,application/pdf", "aria-label": T.attach, "data-testid": "webchat-files" });
      files.style.width = "90px";
      composer.appendChild(text); composer.appendChild(files);
      composer.appendChild(el("button", { type: "submit", "class": "primary", "data-testid": "webchat-send" }, T.send));
      text.addEventListener("keydown", function (event) {
        if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); composer.requestSubmit(); }
      });
      text.addEventListener("input", function () {
        var now = Date.now();
        if (now - lastTyping > 2000) { lastTyping = now; sendTyping(true); }
      });
      composer.onsubmit = function (event) {
        event.preventDefault();
        showError("");
        if (files.files.length > config.max_files) { showError(T.too_many_files.replace("{count}", config.max_files)); return; }
        if (!text.value.trim() && !files.files.length) { return; }
        var form = new FormData();
        form.append("text", text.value);
        form.append("client_id", Math.random().toString(36).slice(2) + Date.now().toString(36));
        Array.prototype.forEach.call(files.files, function (file) { form.append("files", file); });
        request("/messages", { method: "POST", body: form }).then(function () {
          text.value = ""; files.value = ""; lastTyping = 0;
        }, function (error) {
          if (error.status === 401) { setToken(null); preChat(); }
          showError(error.message);
        });
      };
      panel.insertBefore(composer, notice);
      if (config.transcript) { panel.insertBefore(transcriptForm(), notice); }
    }
    connect();
  }

  function transcriptForm() {
    // "Email me the transcript": the pre-chat email is used unless another is typed.
    var box = el("form", { "class": "transcript", "data-testid": "webchat-transcript" });
    var ask = el("button", { type: "button", "class": "link", "data-testid": "webchat-transcript-open" }, T.transcript);
    var email = el("input", { type: "email", hidden: "", "aria-label": T.email, placeholder: T.email, "data-testid": "webchat-transcript-email" });
    var send = el("button", { type: "submit", hidden: "", "data-testid": "webchat-transcript-send" }, T.transcript_send);
    box.appendChild(ask); box.appendChild(email); box.appendChild(send);
    ask.onclick = function () { ask.hidden = true; email.hidden = false; send.hidden = false; email.focus(); };
    box.onsubmit = function (event) {
      event.preventDefault();
      showError("");
      var payload = email.value.trim() ? { email: email.value.trim() } : {};
      request("/transcript", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(payload) }).then(function () {
        box.textContent = "";
        box.appendChild(el("span", { "data-testid": "webchat-transcript-requested" }, T.transcript_requested));
      }, function (error) { showError(error.message); });
    };
    return box;
  }

  function sendTyping(on) { request("/typing", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ typing: on }) }).catch(function () {}); }

  function connect() {
    if (socket) { socket.close(); }
    var url = BASE.replace(/^http/, "ws") + "/webchat/ws/" + encodeURIComponent(KEY) + "?token=" + encodeURIComponent(token());
    socket = new WebSocket(url);
    socket.onmessage = function (raw) {
      var data = JSON.parse(raw.data);
      if (data.type === "state") {
        list.textContent = "";
        data.messages.forEach(addMessage);
        showPlace(data);
      } else if (data.type === "message") {
        addMessage(data.message);
      } else if (data.type === "queue" || data.type === "status") {
        showPlace(data);
      } else if (data.type === "typing") {
        notice.textContent = data.typing ? T.typing : "";
        clearTimeout(typingTimer);
        if (data.typing) { typingTimer = setTimeout(function () { notice.textContent = ""; }, 6000); }
      } else if (data.type === "error") {
        setToken(null); if (composer) { composer.remove(); composer = null; } preChat();
      }
    };
    socket.onclose = function (event) {
      if (event.code === 4401 || event.code === 4403) { return; }
      setTimeout(function () { if (!panel.hidden && token()) { connect(); } }, 2000);
    };
  }

  function open() {
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    if (token()) { chat(); } else { preChat(); }
  }
  launcher.onclick = function () { if (panel.hidden) { open(); } else { panel.hidden = true; launcher.setAttribute("aria-expanded", "false"); } };
  closeButton.onclick = function () { panel.hidden = true; launcher.setAttribute("aria-expanded", "false"); };

  request("/config").then(function (data) {
    config = data; T = data.labels;
    paint();
    document.body.appendChild(host);
    if (token()) { open(); }
  }, function () { /* widget off or not allowed here: show nothing */ });
})();
