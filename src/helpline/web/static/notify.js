// Chat notifications on every page of an agent: a popup with the sender's name and the
// unread count when a customer writes in one of the agent's conversations (or one is
// assigned to them), the total unread count as a badge in the window title, a sound when
// the user's setting has it, and a desktop notification when the browser allows it.
(function () {
  "use strict";
  var config = document.getElementById("notify-config");
  if (!config || !window.Helpline) { return; }
  var C = JSON.parse(config.textContent);
  var T = C.labels;
  var conversations = {};   // id -> conversation (the ones assigned to me)
  var sound = !!C.sound;
  var audio = null;
  var BADGE = /^\(\d+\u2709\) /;

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (m, key) { return key in values ? values[key] : m; });
  }
  function unreadTotal() {
    return Object.keys(conversations).reduce(function (sum, id) {
      return sum + (conversations[id].unread_count || 0);
    }, 0);
  }
  // Other scripts set the title too (the agent dashboard's offer count): the badge is put
  // back in front of whatever title the page has.
  function renderBadge() {
    var total = unreadTotal();
    var base = document.title.replace(BADGE, "");
    var wanted = total ? "(" + total + "\u2709) " + base : base;
    if (document.title !== wanted) { document.title = wanted; }
    document.documentElement.dataset.chatUnread = String(total);
  }
  function keep(c) {
    if (c.status === "assigned" && c.assigned_user_id === C.user_id) { conversations[c.id] = c; }
    else { delete conversations[c.id]; }
  }
  function viewing(id) {
    return window.HelplineChat && window.HelplineChat.conversation === id && document.hasFocus();
  }
  function play() {
    if (!sound) { return; }
    try {
      audio = audio || new Audio(C.sound_url);
      audio.currentTime = 0;
      var playing = audio.play();
      if (playing && playing.catch) { playing.catch(function () { /* autoplay blocked: the popup still shows */ }); }
    } catch (e) { /* no audio here: the popup and the badge still show */ }
  }
  function popup(c, text) {
    var box = document.getElementById("chat-toasts");
    if (!box) { return; }
    var name = c.customer_name || c.customer_address;
    var href = "/agent/chats?conversation=" + c.id;
    var old = box.querySelector("[data-conversation='" + c.id + "']");
    if (old) { old.remove(); }
    var toast = document.createElement("a");
    toast.className = "chat-toast";
    toast.href = href;
    toast.title = T.open;
    toast.dataset.conversation = String(c.id);
    toast.setAttribute("data-testid", "chat-notification");
    var title = document.createElement("strong");
    title.textContent = name;
    var body = document.createElement("span");
    body.className = "chat-toast-text";
    body.textContent = text;
    var count = document.createElement("span");
    count.className = "chat-toast-count";
    count.setAttribute("data-testid", "chat-notification-count");
    count.textContent = fill(T.unread, { count: c.unread_count || 0 });
    toast.appendChild(title); toast.appendChild(body); toast.appendChild(count);
    box.appendChild(toast);
    while (box.children.length > 3) { box.removeChild(box.firstChild); }
    setTimeout(function () { toast.remove(); }, 8000);
    if (window.Notification && Notification.permission === "granted" && document.hidden) {
      try {
        var desktop = new Notification(name, { body: text + " \u00b7 " + count.textContent, tag: "helpline-chat-" + c.id });
        desktop.onclick = function () { window.focus(); location.assign(href); };
      } catch (e) { /* some browsers only allow it from a service worker */ }
    }
    play();
  }

  Helpline.live(
    ["chat.assigned", "chat.unassigned", "chat.resolved", "chat.reopened", "chat.queued",
     "chat.message_received", "chat.message_sent", "chat.read", "user.updated"],
    function (state) {
      conversations = {};
      var list = (state.chats && state.chats.conversations) || {};
      Object.keys(list).forEach(function (id) { keep(list[id]); });
      if (state.me && "notification_sound" in state.me) { sound = !!state.me.notification_sound; }
      renderBadge();
    },
    function (event) {
      var p = event.payload;
      if (event.type === "user.updated") {
        if (p.user && p.user.id === C.user_id) { sound = !!p.user.notification_sound; }
        return;
      }
      var c = p.conversation;
      if (!c) { return; }
      keep(c);
      renderBadge();
      if (c.assigned_user_id !== C.user_id || viewing(c.id)) { return; }
      if (event.type === "chat.message_received") {
        var m = p.message || {};
        popup(c, m.text || ((m.attachments || []).length ? T.attachment : ""));
      } else if (event.type === "chat.assigned") {
        popup(c, T.new_chat + (c.last_message_preview ? ": " + c.last_message_preview : ""));
      }
    }
  );
  setInterval(renderBadge, 1000);

  // The account page's switch for desktop notifications (this browser only).
  var ask = document.getElementById("desktop-notifications");
  var on = document.getElementById("desktop-notifications-state");
  if (ask && window.Notification) {
    var show = function () {
      ask.hidden = Notification.permission === "granted" || Notification.permission === "denied";
      if (on) { on.hidden = Notification.permission !== "granted"; }
    };
    ask.onclick = function () { Notification.requestPermission().then(show); };
    show();
  }
})();
