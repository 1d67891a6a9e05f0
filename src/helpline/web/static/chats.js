// The agent's chat workspace: conversation list, conversation, composer, contact and tags,
// kept live over /ws. Everything goes through the REST API (/api/v1/chats, /contacts,
// /tags, /canned-messages, /acd); this module holds no state the server does not have.
(function () {
  "use strict";
  var C = JSON.parse(document.getElementById("chats-config").textContent);
  var T = C.labels;
  var $ = function (id) { return document.getElementById(id); };
  var csrf = (document.querySelector("meta[name=csrf-token]") || {}).content || "";

  var view = "mine";
  var lists = {};            // view -> [conversation]
  var current = null;        // {conversation, messages, tags, has_more}
  var contact = null;
  var enabledTags = [];
  var offers = [];
  var chosenFiles = [];
  var canned = { open: false, items: [], index: 0 };
  var lastTypingSent = 0;
  var typingTimer = null;

  function el(tag, text, attrs) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = text; }
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    return node;
  }
  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (m, key) { return key in values ? values[key] : m; });
  }
  function showError(message) {
    var box = $("chat-error");
    box.textContent = message || "";
    box.hidden = !message;
  }
  function detailOf(data) {
    var detail = data && data.detail;
    if (typeof detail === "string") { return detail; }
    if (detail && detail.message) { return detail.message; }
    if (Array.isArray(detail) && detail.length) { return detail[0].msg || T.failed; }
    return T.failed;
  }
  // fetch with the session cookie; resolves to the JSON body, rejects with a message.
  function api(method, path, body, isForm) {
    var options = { method: method, credentials: "same-origin", headers: { "x-csrf-token": csrf } };
    if (body !== undefined) {
      if (isForm) { options.body = body; }
      else { options.headers["content-type"] = "application/json"; options.body = JSON.stringify(body); }
    }
    return fetch(path, options).then(function (response) {
      if (response.status === 204) { return null; }
      return response.json().catch(function () { return null; }).then(function (data) {
        if (!response.ok) { throw new Error(detailOf(data)); }
        return data;
      });
    });
  }
  function fail(error) { showError(error && error.message ? error.message : T.failed); }
  function when(iso) {
    var d = new Date(iso);
    var sameDay = d.toDateString() === new Date().toDateString();
    return sameDay ? d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })
      : d.toLocaleString([], { dateStyle: "short", timeStyle: "short" });
  }
  function nameOf(c) { return c.customer_name || c.customer_address || T.unknown_customer; }
  function mine(c) { return c && c.assigned_user_id === C.user_id && c.status === "assigned"; }
  // Supervisors act on every conversation of the queues they supervise.
  function supervised(c) { return c && C.supervised.indexOf(c.queue_id) >= 0; }
  function taggable(c) { return c && (c.assigned_user_id === C.user_id || supervised(c)); }

  // ------------------------------------------------------------------ the list

  function loadList(which) {
    return api("GET", "/api/v1/chats/conversations?view=" + which + "&limit=100").then(function (page) {
      lists[which] = page.conversations;
      if (which === view) { renderList(); }
    }, fail);
  }
  var reloadTimer = null;
  function reloadLists() {
    clearTimeout(reloadTimer);
    reloadTimer = setTimeout(function () { loadList(view); }, 150);
  }
  function renderList() {
    var box = $("chat-conversations");
    box.textContent = "";
    var rows = lists[view] || [];
    if (!rows.length) { box.appendChild(el("li", T.no_conversations, { "class": "muted" })); return; }
    rows.forEach(function (c) {
      var item = el("li", null, {
        "class": "chat-item" + (current && current.conversation.id === c.id ? " active" : ""),
        "data-testid": "chat-item", "data-id": String(c.id), tabindex: "0"
      });
      var top = el("div", null, { "class": "chat-item-top" });
      top.appendChild(el("strong", nameOf(c)));
      if (c.unread_count && view !== "resolved") {
        top.appendChild(el("span", String(c.unread_count), {
          "class": "badge unread", "data-testid": "chat-unread", title: fill(T.unread, { count: c.unread_count })
        }));
      }
      item.appendChild(top);
      item.appendChild(el("span", (T.channels[c.channel] || c.channel) + " · " + when(c.last_activity_at), { "class": "muted" }));
      item.appendChild(el("span", c.last_message_preview, { "class": "chat-preview" }));
      item.onclick = function () { openConversation(c.id); };
      item.onkeydown = function (e) { if (e.key === "Enter") { openConversation(c.id); } };
      box.appendChild(item);
    });
  }
  function setView(which) {
    view = which;
    document.querySelectorAll(".chat-tabs [data-view]").forEach(function (b) {
      b.setAttribute("aria-selected", b.dataset.view === which ? "true" : "false");
    });
    renderList();
    loadList(which);
  }
  document.querySelectorAll(".chat-tabs [data-view]").forEach(function (b) {
    b.onclick = function () { setView(b.dataset.view); };
  });

  // ------------------------------------------------------------------ the conversation

  function openConversation(id) {
    showError("");
    return api("GET", "/api/v1/chats/conversations/" + id + "?limit=50").then(function (detail) {
      var changed = !current || current.conversation.id !== id;
      current = detail;
      window.HelplineChat = { conversation: id };
      if (changed) {
        contact = null; resetComposer();
        history.replaceState(null, "", "/agent/chats?conversation=" + id);
      }
      renderConversation();
      renderList();
      loadContact();
      markRead();
    }, fail);
  }
  // Read means seen: a message that arrives while the tab is in the background stays
  // unread (the title badge counts it) until the agent comes back.
  function markRead() {
    var c = current && current.conversation;
    if (mine(c) && c.unread_count > 0 && document.visibilityState === "visible") {
      api("POST", "/api/v1/chats/conversations/" + c.id + "/read").then(function (updated) {
        if (current && current.conversation.id === updated.id) { current.conversation = updated; }
        updateListEntry(updated);
      }, function () {});
    }
  }
  function renderConversation() {
    var c = current.conversation;
    $("chat-empty").hidden = true;
    $("chat-view").hidden = false;
    $("chat-side").hidden = false;
    $("chat-title").textContent = nameOf(c);
    // A webchat visitor's address is an opaque id: the channel says enough.
    $("chat-subtitle").textContent = (T.channels[c.channel] || c.channel) + (c.channel === "webchat" ? "" : " · " + c.customer_address);
    $("chat-status").textContent = T.statuses[c.status] || c.status;
    $("chat-status").dataset.status = c.status;
    $("chat-video").hidden = !(mine(c) && c.status === "assigned");
    $("chat-unassign").hidden = !(mine(c) || (supervised(c) && c.status === "assigned"));
    $("chat-resolve").hidden = !(mine(c) || (supervised(c) && c.status !== "resolved"));
    var note = "";
    if (c.status === "open") { note = T.not_yours; }
    else if (c.status === "resolved") { note = T.resolved_note; }
    else if (!mine(c)) { note = T.other_agent; }
    $("chat-note").textContent = note;
    $("chat-note").hidden = !note;
    $("chat-composer").hidden = !mine(c);
    $("chat-more").hidden = !current.has_more;
    renderMessages();
    renderTags();
  }
  function statusText(m) {
    if (m.direction !== "out") { return ""; }
    var text = T.delivery[m.status] || m.status;
    return m.status === "failed" && m.error ? text + ": " + m.error : text;
  }
  function renderMessage(m) {
    var li = el("li", null, {
      "class": "chat-message " + (m.direction === "in" ? "in" : "out"),
      "data-testid": "chat-message", "data-id": String(m.id), "data-status": m.status
    });
    var who = m.direction === "in" ? nameOf(current.conversation)
      : (m.author_user_id === C.user_id ? T.you : (T.authors[m.author] || m.author));
    li.appendChild(el("span", who + " · " + when(m.created_at), { "class": "chat-meta muted" }));
    if (m.text) { li.appendChild(el("p", m.text, { "class": "chat-text" })); }
    (m.attachments || []).forEach(function (a) {
      var url = "/api/v1/chats/attachments/" + a.id;
      var link = el("a", null, { href: url, target: "_blank", rel: "noopener", "data-testid": "chat-attachment", "class": "chat-attachment" });
      if (a.content_type.indexOf("image/") === 0) {
        link.appendChild(el("img", null, { src: url, alt: a.filename, loading: "lazy" }));
      } else {
        link.textContent = (a.content_type.indexOf("video/") === 0 ? T.video : T.document) + ": " + a.filename;
      }
      li.appendChild(link);
    });
    if (m.direction === "in" && m.error) {
      li.appendChild(el("p", T.attachment_refused + " " + m.error, { "class": "chat-refused error" }));
    }
    var status = statusText(m);
    if (status) {
      li.appendChild(el("span", status, {
        "class": "chat-delivery" + (m.status === "failed" ? " error" : ""), "data-testid": "chat-delivery"
      }));
    }
    return li;
  }
  function renderMessages() {
    var box = $("chat-messages");
    var atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
    box.textContent = "";
    current.messages.forEach(function (m) { box.appendChild(renderMessage(m)); });
    if (atBottom || box.dataset.conversation !== String(current.conversation.id)) { box.scrollTop = box.scrollHeight; }
    box.dataset.conversation = String(current.conversation.id);
  }
  function upsertMessage(m) {
    if (!current || current.conversation.id !== m.conversation_id) { return; }
    var index = -1;
    current.messages.forEach(function (old, i) { if (old.id === m.id) { index = i; } });
    if (index >= 0) { current.messages[index] = m; } else { current.messages.push(m); }
    renderMessages();
  }
  $("chat-more").onclick = function () {
    if (!current || !current.messages.length) { return; }
    var c = current.conversation;
    api("GET", "/api/v1/chats/conversations/" + c.id + "?limit=50&before=" + current.messages[0].id).then(function (older) {
      if (!current || current.conversation.id !== c.id) { return; }
      current.messages = older.messages.concat(current.messages);
      current.has_more = older.has_more;
      $("chat-more").hidden = !older.has_more;
      renderMessages();
    }, fail);
  };
  function conversationAction(action) {
    var c = current.conversation;
    api("POST", "/api/v1/chats/conversations/" + c.id + "/" + action).then(function (updated) {
      applyConversation(updated);
      reloadLists();
    }, fail);
  }
  $("chat-video").onclick = function () {
    // Opened now, while the click lets it open; pointed at the room once it exists.
    var room = window.open("", "_blank");
    api("POST", "/api/v1/video/rooms", { conversation_id: current.conversation.id }).then(function (made) {
      if (room) { room.location.href = made.agent_url; } else { window.location.href = made.agent_url; }
    }, function (error) {
      if (room) { room.close(); }
      fail(error);
    });
  };
  $("chat-unassign").onclick = function () { conversationAction("unassign"); };
  $("chat-resolve").onclick = function () { conversationAction("resolve"); };

  function applyConversation(c) {
    updateListEntry(c);
    if (current && current.conversation.id === c.id) {
      current.conversation = c;
      renderConversation();
    }
  }
  function updateListEntry(c) {
    var rows = lists[view] || [];
    rows.forEach(function (old, i) { if (old.id === c.id) { rows[i] = c; } });
    renderList();
  }

  // ------------------------------------------------------------------ the composer

  function resetComposer() {
    $("chat-text").value = "";
    chosenFiles = [];
    $("chat-file-input").value = "";
    renderFiles();
    closeCanned();
  }
  function renderFiles() {
    var box = $("chat-files");
    box.hidden = chosenFiles.length === 0;
    box.textContent = chosenFiles.length ? T.files_chosen + " " + chosenFiles.map(function (f) { return f.name; }).join(", ") : "";
  }
  // The same limits the server applies: a message that breaks one is not sent at all.
  function checkFiles(files) {
    if (files.length > C.max_files) { return T.too_many_files; }
    for (var i = 0; i < files.length; i++) {
      if (files[i].size > C.max_file_bytes) { return fill(T.too_large, { name: files[i].name }); }
      if (C.allowed_types.indexOf(files[i].type) < 0) { return fill(T.wrong_type, { name: files[i].name }); }
    }
    return "";
  }
  $("chat-file-input").onchange = function () {
    var files = Array.prototype.slice.call($("chat-file-input").files);
    var problem = checkFiles(chosenFiles.concat(files));
    $("chat-file-input").value = "";
    if (problem) { showError(problem); return; }
    showError("");
    chosenFiles = chosenFiles.concat(files);
    renderFiles();
  };
  function send() {
    if (!current || !mine(current.conversation)) { return; }
    var text = $("chat-text").value.trim();
    var problem = checkFiles(chosenFiles);
    if (problem) { showError(problem); return; }
    if (!text && !chosenFiles.length) { showError(T.empty); return; }
    var form = new FormData();
    form.append("text", text);
    chosenFiles.forEach(function (f) { form.append("files", f, f.name); });
    var id = current.conversation.id;
    $("chat-send").disabled = true;
    api("POST", "/api/v1/chats/conversations/" + id + "/messages", form, true).then(function (message) {
      showError("");
      resetComposer();
      upsertMessage(message);
      sendTyping(false);
    }, fail).then(function () { $("chat-send").disabled = false; });
  }
  $("chat-composer").addEventListener("submit", function (event) { event.preventDefault(); send(); });
  $("chat-text").addEventListener("keydown", function (event) {
    if (canned.open) {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        var step = event.key === "ArrowDown" ? 1 : -1;
        canned.index = (canned.index + step + canned.items.length) % Math.max(canned.items.length, 1);
        renderCanned();
        return;
      }
      if (event.key === "Escape") { event.preventDefault(); closeCanned(); return; }
      if ((event.key === "Enter" || event.key === "Tab") && !event.shiftKey && canned.items.length) {
        event.preventDefault();
        chooseCanned(canned.items[canned.index]);
        return;
      }
    }
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      send();
    }
  });
  function sendTyping(on) {
    if (!current || !mine(current.conversation)) { return; }
    api("POST", "/api/v1/chats/conversations/" + current.conversation.id + "/typing", { typing: on }).catch(function () {});
  }
  $("chat-text").addEventListener("input", function () {
    var value = $("chat-text").value;
    // "/shortcut" at the start of an empty composer looks up canned messages.
    var match = /^\/(\S*)$/.exec(value);
    if (match) { searchCanned(match[1]); } else if (canned.open && canned.fromSlash) { closeCanned(); }
    var now = Date.now();
    if (value && now - lastTypingSent > 3000) { lastTypingSent = now; sendTyping(true); }
  });

  // Canned messages: choosing one puts a copy of its text in the field, to edit before
  // sending; the saved message never changes.
  function searchCanned(query, fromButton) {
    api("GET", "/api/v1/canned-messages?limit=8" + (query ? "&query=" + encodeURIComponent(query) : "")).then(function (items) {
      canned.items = items;
      canned.index = 0;
      canned.open = true;
      canned.fromSlash = !fromButton;
      renderCanned();
    }, fail);
  }
  function renderCanned() {
    var box = $("canned-picker");
    box.textContent = "";
    box.hidden = !canned.open;
    if (!canned.items.length) { box.appendChild(el("p", T.canned_none, { "class": "muted" })); return; }
    canned.items.forEach(function (item, i) {
      var option = el("button", null, {
        type: "button", role: "option", "class": "canned-option" + (i === canned.index ? " active" : ""),
        "aria-selected": i === canned.index ? "true" : "false", "data-testid": "canned-option"
      });
      option.appendChild(el("strong", "/" + item.shortcut));
      option.appendChild(el("span", " " + item.text));
      option.onmousedown = function (event) { event.preventDefault(); chooseCanned(item); };
      box.appendChild(option);
    });
  }
  function chooseCanned(item) {
    var field = $("chat-text");
    field.value = item.text;
    closeCanned();
    field.focus();
    field.setSelectionRange(field.value.length, field.value.length);
  }
  function closeCanned() {
    canned.open = false; canned.items = [];
    $("canned-picker").hidden = true;
  }
  $("canned-open").onclick = function () {
    if (canned.open) { closeCanned(); return; }
    searchCanned("", true);
    $("chat-text").focus();
  };

  // ------------------------------------------------------------------ the contact

  function loadContact() {
    var c = current.conversation;
    $("contact-form").hidden = true;
    $("contact-results").textContent = "";
    if (!c.contact_id) { contact = null; renderContact(); renderHistory([]); return; }
    api("GET", "/api/v1/contacts/" + c.contact_id).then(function (found) {
      contact = found; renderContact();
    }, function () { contact = null; renderContact(); });
    api("GET", "/api/v1/contacts/" + c.contact_id + "/history?limit=20").then(renderHistory, function () { renderHistory([]); });
  }
  function renderContact() {
    var box = $("contact-view");
    box.textContent = "";
    $("contact-edit").hidden = !contact;
    $("contact-add").hidden = !!contact;
    if (!contact) { box.appendChild(el("p", T.contact_none, { "class": "muted" })); return; }
    var list = el("dl", null, { "class": "contact-details", "data-testid": "contact-details" });
    list.appendChild(el("dt", T.name)); list.appendChild(el("dd", contact.name || "—", { "data-testid": "contact-shown-name" }));
    contact.phones.forEach(function (p) { list.appendChild(el("dt", T.phone)); list.appendChild(el("dd", p)); });
    contact.emails.forEach(function (p) { list.appendChild(el("dt", T.email)); list.appendChild(el("dd", p)); });
    box.appendChild(list);
    var unlink = el("button", T.unlink, { type: "button", "class": "link" });
    unlink.onclick = function () { linkContact(null); };
    box.appendChild(unlink);
  }
  function renderHistory(items) {
    var box = $("contact-history");
    box.textContent = "";
    if (!items.length) { box.appendChild(el("li", T.history_empty, { "class": "muted" })); return; }
    items.forEach(function (h) {
      var li = el("li", null, { "data-testid": "history-item" });
      var label = (T.channels[h.channel] || h.channel) + " · " + when(h.last_activity_at) + " · " + (T.statuses[h.status] || h.status);
      if (current && h.kind === "chat" && h.id === current.conversation.id) {
        li.appendChild(el("span", label + " (" + T.history_current + ")"));
      } else if (h.kind === "chat") {
        var link = el("a", label, { href: "/agent/chats?conversation=" + h.id });
        link.onclick = function (event) { event.preventDefault(); openConversation(h.id); };
        li.appendChild(link);
      } else { li.appendChild(el("span", label)); }
      if (h.summary) { li.appendChild(el("div", h.summary, { "class": "muted" })); }
      box.appendChild(li);
    });
  }
  function splitList(value) {
    return value.split(",").map(function (s) { return s.trim(); }).filter(function (s) { return s; });
  }
  function openContactForm(editing) {
    var form = $("contact-form");
    form.dataset.mode = editing ? "edit" : "add";
    var c = current.conversation;
    form.elements.name.value = editing ? contact.name : (c.customer_name || "");
    form.elements.phones.value = editing ? contact.phones.join(", ") : (c.channel === "sms" ? c.customer_address : "");
    form.elements.emails.value = editing ? contact.emails.join(", ") : "";
    form.hidden = false;
    form.elements.name.focus();
  }
  $("contact-edit").onclick = function () { openContactForm(true); };
  $("contact-add").onclick = function () { openContactForm(false); };
  $("contact-cancel").onclick = function () { $("contact-form").hidden = true; };
  $("contact-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var form = $("contact-form");
    var body = {
      name: form.elements.name.value.trim(),
      phones: splitList(form.elements.phones.value),
      emails: splitList(form.elements.emails.value)
    };
    var request = form.dataset.mode === "edit"
      ? api("PATCH", "/api/v1/contacts/" + contact.id, body)
      : api("POST", "/api/v1/contacts", body).then(function (created) { return linkContact(created.id).then(function () { return created; }); });
    request.then(function (saved) {
      showError("");
      contact = saved;
      form.hidden = true;
      renderContact();
    }, fail);
  });
  function linkContact(id) {
    var c = current.conversation;
    return api("PUT", "/api/v1/chats/conversations/" + c.id + "/contact", { contact_id: id }).then(function (updated) {
      current.conversation = updated;
      loadContact();
    }, function (error) { fail(error); throw error; });
  }
  var searchTimer = null;
  $("contact-search").addEventListener("submit", function (event) { event.preventDefault(); });
  $("contact-search").elements.search.addEventListener("input", function () {
    clearTimeout(searchTimer);
    var text = $("contact-search").elements.search.value.trim();
    searchTimer = setTimeout(function () {
      var box = $("contact-results");
      box.textContent = "";
      if (!text) { return; }
      api("GET", "/api/v1/contacts?limit=8&search=" + encodeURIComponent(text)).then(function (page) {
        box.textContent = "";
        if (!page.contacts.length) { box.appendChild(el("li", T.no_matches, { "class": "muted" })); }
        page.contacts.forEach(function (found) {
          var li = el("li", (found.name || "—") + " " + found.phones.concat(found.emails).join(", ") + " ");
          var link = el("button", T.link, { type: "button", "class": "secondary", "data-testid": "contact-link" });
          link.onclick = function () { linkContact(found.id).then(function () { box.textContent = ""; }, function () {}); };
          li.appendChild(link);
          box.appendChild(li);
        });
      }, fail);
    }, 250);
  });

  // ------------------------------------------------------------------ tags

  function loadEnabledTags() {
    return api("GET", "/api/v1/tags?enabled=true").then(function (tags) { enabledTags = tags; renderTagOptions(); }, function () {});
  }
  function renderTagOptions() {
    var options = $("tag-options");
    options.textContent = "";
    var present = (current ? current.tags : []).map(function (t) { return t.id; });
    enabledTags.forEach(function (t) {
      if (present.indexOf(t.id) < 0) { options.appendChild(el("option", null, { value: t.name })); }
    });
  }
  function renderTags() {
    var box = $("chat-tags");
    box.textContent = "";
    var c = current.conversation;
    if (!current.tags.length) { box.appendChild(el("li", T.no_tags, { "class": "muted" })); }
    current.tags.forEach(function (t) {
      var chip = el("li", null, { "class": "tag-chip", "data-testid": "chat-tag" });
      chip.appendChild(el("span", t.name));
      if (taggable(c)) {
        var remove = el("button", "×", { type: "button", "class": "link", "aria-label": fill(T.remove_tag, { name: t.name }) });
        remove.onclick = function () {
          api("DELETE", "/api/v1/chats/conversations/" + c.id + "/tags/" + t.id).then(setTags, fail);
        };
        chip.appendChild(remove);
      }
      box.appendChild(chip);
    });
    $("tag-open").hidden = !taggable(c);
    if (!taggable(c)) { $("tag-form").hidden = true; }
    $("tag-hint").textContent = C.may_create_tags ? T.tag_custom_hint : T.tag_hint;
    renderTagOptions();
  }
  function setTags(tags) {
    if (!current) { return; }
    current.tags = tags;
    renderTags();
  }
  $("tag-open").onclick = function () {
    var form = $("tag-form");
    form.hidden = !form.hidden;
    if (!form.hidden) { loadEnabledTags(); $("tag-name").value = ""; $("tag-name").focus(); }
  };
  $("tag-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var name = $("tag-name").value.trim();
    if (!name || !current) { return; }
    var key = name.toLowerCase();
    var known = enabledTags.filter(function (t) { return t.name.toLowerCase() === key; })[0];
    if (!known && !C.may_create_tags) { showError(fill(T.tag_unknown, { name: name })); return; }
    var body = known ? { tag_id: known.id } : { name: name };
    api("POST", "/api/v1/chats/conversations/" + current.conversation.id + "/tags", body).then(function (tags) {
      showError("");
      $("tag-name").value = "";
      $("tag-form").hidden = true;
      setTags(tags);
      if (!known) { loadEnabledTags(); }
    }, fail);
  });

  // ------------------------------------------------------------------ chat offers

  function renderOffer() {
    var offer = offers[0];
    var box = $("chat-offer");
    box.hidden = !offer;
    if (!offer) { return; }
    box.dataset.offerId = offer.offer_id;
    $("chat-offer-text").textContent = fill(T.offer, { name: offer.caller_id || T.unknown_customer }) + " · " + offer.queue_name;
  }
  function conversationOfContact(contactId) {
    var parts = String(contactId).split(":");
    return parts[0] === "chat" ? parseInt(parts[1], 10) : null;
  }
  var awaitingAssignment = null;
  $("chat-offer-accept").onclick = function () {
    var offer = offers[0];
    if (!offer) { return; }
    awaitingAssignment = conversationOfContact(offer.contact_id);
    api("POST", "/api/v1/acd/offers/" + offer.offer_id + "/accept").then(function () { showError(""); }, fail);
  };
  $("chat-offer-decline").onclick = function () {
    var offer = offers[0];
    if (offer) { api("POST", "/api/v1/acd/offers/" + offer.offer_id + "/decline").catch(fail); }
  };

  // ------------------------------------------------------------------ live

  var EVENTS = [
    "acd.agent_view", "chat.conversation_opened", "chat.queued", "chat.assigned", "chat.unassigned",
    "chat.resolved", "chat.reopened", "chat.message_received", "chat.message_sent",
    "chat.message_status_changed", "chat.read", "chat.contact_linked", "chat.tag_added",
    "chat.tag_removed", "chat.typing"
  ];
  function onEvent(event) {
    var p = event.payload;
    if (event.type === "acd.agent_view") {
      offers = (p.open_offers || []).filter(function (o) { return o.kind === "chat"; });
      renderOffer();
      return;
    }
    if (event.type === "chat.typing") {
      if (current && p.conversation_id === current.conversation.id && p.who === "customer") {
        $("chat-typing").hidden = !p.typing;
        clearTimeout(typingTimer);
        if (p.typing) { typingTimer = setTimeout(function () { $("chat-typing").hidden = true; }, 6000); }
      }
      return;
    }
    var c = p.conversation;
    if (!c) { return; }
    if (p.message) {
      if (current && current.conversation.id === c.id && p.message.direction === "in") { $("chat-typing").hidden = true; }
      upsertMessage(p.message);
    }
    if (event.type === "chat.tag_added" || event.type === "chat.tag_removed") {
      if (current && current.conversation.id === c.id) { setTags(p.tags); }
      return;
    }
    if (current && current.conversation.id === c.id) {
      current.conversation = c;
      renderConversation();
      if (event.type === "chat.message_received") { markRead(); }
      if (event.type === "chat.contact_linked") { loadContact(); }
    }
    if (event.type === "chat.assigned" && c.id === awaitingAssignment && c.assigned_user_id === C.user_id) {
      awaitingAssignment = null;
      setView("mine");
      openConversation(c.id);
    }
    updateListEntry(c);
    if (event.type !== "chat.message_status_changed") { reloadLists(); }
  }
  Helpline.live(EVENTS, function (state) {
    var me = state.acd && state.acd.me;
    offers = ((me && me.open_offers) || []).filter(function (o) { return o.kind === "chat"; });
    renderOffer();
    loadList(view);
    if (current) { openConversation(current.conversation.id); }
  }, onEvent);

  document.addEventListener("visibilitychange", markRead);
  loadEnabledTags();
  if (C.conversation) { openConversation(C.conversation); }
})();
