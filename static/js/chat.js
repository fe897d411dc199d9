// Live conversations: the upgrade of the conversation pages (DESIGN.md §4).
//
// Without this file the pages work by links and form POSTs. With it, the tab's WebSocket
// (live.js, window.MentoringLive) brings new, edited and deleted messages, typing and unread
// counts; the send form goes over the socket (its client_id makes a resend harmless) and falls
// back to the normal POST when the socket is not open or gives no answer. A reconnect resyncs
// over HTTP from the last message id seen (messages.json): the database is the truth. The
// navigation's badges are live.js's.
//
// A message arrives rendered: "message.new" and "message.changed" (and messages.json) carry
// its markup, the page's own template partial rendered once on the server for every viewer,
// so a new message costs this tab no request. The server's escaped markup is parsed, never
// built from strings here; this file only keeps what applies to its viewer (adapt): the edit
// and delete controls on the viewer's own messages while they may still change them
// (data-sender, data-created, the page's edit window), the report link on everyone else's.
// Read state goes back once per burst of messages. Everything else is set with textContent.
// No inline script, no eval: CSP-safe.
(function () {
  "use strict";

  var chat = document.querySelector("[data-chat-conversation]");
  var list = document.querySelector("[data-chat-list]");
  var live = window.MentoringLive;
  if ((!chat && !list) || !live) {
    return;
  }

  var userId = live.userId;
  var conversationId = chat ? Number(chat.dataset.chatConversation) : null;
  var open = chat ? chat.dataset.live === "1" : false; // the latest messages, not an older page
  var messagesEl = document.getElementById("messages");
  var form = document.getElementById("send-form");
  var statusEl = document.getElementById("send-status");
  var typingEl = document.getElementById("typing");

  var pending = null; // {clientId, timer} of the message sent over the socket
  var queue = Promise.resolve(); // requests (resync, the list), one after another, in order
  var typingTimer = null;
  var lastTypingSent = 0;
  var lastReadSent = 0;
  var readTimer = null;
  var listReload = null; // the list reload queued and not started yet
  var readOnly = chat ? chat.dataset.readOnly === "1" : false;
  var editWindow = chat ? Number(chat.dataset.editWindow) || 0 : 0;
  // The server's clock against this one: the edit window is the server's.
  var clockSkew = chat ? Number(chat.dataset.now) * 1000 - Date.now() || 0 : 0;

  var ACK_TIMEOUT_MS = 8000;
  var ACK_SHOWN_MS = 3000; // an acked message not shown by then: its event was lost, resync
  var READ_DELAY_MS = 500; // messages arriving within this much are marked read together
  var TYPING_SHOW_MS = 4000;
  var TYPING_SEND_EVERY_MS = 3000;
  var RESYNC_ROUNDS = 20;
  var HISTORY_PAGE = 50;

  // --- Messages on the page ---------------------------------------------------------------

  function lastMessageId() {
    if (!messagesEl) {
      return 0;
    }
    var items = messagesEl.querySelectorAll("[data-message]");
    return items.length ? Number(items[items.length - 1].dataset.message) : 0;
  }

  function shown(messageId) {
    return document.getElementById("message-" + messageId) !== null;
  }

  // The server's markup of one message, parsed as a separate document: scripts in it would
  // never run, and there are none.
  function parse(html) {
    if (typeof html !== "string" || !html) {
      return null;
    }
    var doc = new DOMParser().parseFromString("<ol>" + html + "</ol>", "text/html");
    var item = doc.querySelector("li[data-message]");
    return item ? document.importNode(item, true) : null;
  }

  // Keep what applies to this viewer, as the server renders it for the page without scripts.
  function adapt(item) {
    var mine = item.dataset.sender !== "" && Number(item.dataset.sender) === userId;
    var age = (Date.now() + clockSkew) / 1000 - Number(item.dataset.created);
    item.classList.toggle("chat-message-own", mine);
    var own = item.querySelector("[data-own-actions]");
    if (own && (!mine || readOnly || !(age < editWindow))) {
      own.remove();
    }
    var report = item.querySelector("[data-report]");
    if (report && mine) {
      report.remove();
    }
    var token = document.querySelector('input[name="csrfmiddlewaretoken"]');
    item.querySelectorAll('form[method="post"]').forEach(function (form) {
      if (token && !form.querySelector('input[name="csrfmiddlewaretoken"]')) {
        form.insertBefore(token.cloneNode(false), form.firstChild);
      }
    });
    return item;
  }

  // New messages in id order; a changed one replaces the one shown.
  function place(item) {
    var id = Number(item.dataset.message);
    var existing = document.getElementById(item.id);
    if (existing) {
      existing.replaceWith(item);
      return;
    }
    var empty = chat.querySelector("[data-empty]");
    if (empty) {
      empty.remove();
    }
    var items = messagesEl.querySelectorAll("[data-message]");
    var next = null;
    for (var i = items.length - 1; i >= 0 && Number(items[i].dataset.message) > id; i -= 1) {
      next = items[i];
    }
    messagesEl.insertBefore(item, next);
  }

  function nearBottom() {
    return window.innerHeight + window.scrollY >= document.body.scrollHeight - 200;
  }

  // Messages as they come (an event or the history API), shown in place.
  function show(messages) {
    var stick = nearBottom();
    var added = false;
    var toRead = false; // the sender's own messages are read already
    messages.forEach(function (message) {
      var item = parse(message.html);
      if (item) {
        if (!shown(message.id)) {
          added = true;
          toRead = toRead || message.sender !== userId;
        }
        place(adapt(item));
      }
    });
    if (added && stick) {
      messagesEl.lastElementChild.scrollIntoView({ block: "end" });
    }
    if (toRead) {
      scheduleRead();
    }
  }

  // Ask the history API what came after the last id shown, until there is no more (bounded):
  // after a reconnect, or when an event was lost.
  function resync() {
    if (!open) {
      return;
    }
    queue = queue.then(function () {
      var rounds = 0;
      function more() {
        var url = chat.dataset.historyUrl + "?after=" + lastMessageId();
        return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
          .then(function (response) {
            if (!response.ok) {
              throw new Error("history " + response.status);
            }
            return response.json();
          })
          .then(function (data) {
            var messages = data.messages || [];
            show(messages);
            rounds += 1;
            if (messages.length >= HISTORY_PAGE && rounds < RESYNC_ROUNDS) {
              return more();
            }
          });
      }
      return more();
    }).catch(function () {});
  }

  function markRead() {
    var upTo = lastMessageId();
    if (upTo > lastReadSent && document.visibilityState === "visible" && live.isOpen()) {
      lastReadSent = upTo;
      live.send({ type: "read", conversation: conversationId, up_to: upTo });
    }
  }

  // One "read" for a burst of messages, not one per message.
  function scheduleRead() {
    if (readTimer === null) {
      readTimer = setTimeout(function () {
        readTimer = null;
        markRead();
      }, READ_DELAY_MS);
    }
  }

  // --- The conversation list -------------------------------------------------------------

  function setBadge(badge, count) {
    if (!badge) {
      return;
    }
    badge.querySelector("[data-count]").textContent = String(count);
    badge.hidden = count <= 0;
  }

  // A new message or a conversation the list does not show yet: load the list again and
  // put the server's rows in place of these (parsed as a separate document, like messages).
  function reloadList() {
    if (listReload) {
      return; // one reload, queued and not started yet, shows this too
    }
    listReload = queue.then(function () {
      listReload = null;
      return fetch(location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
        .then(function (response) {
          if (!response.ok) {
            throw new Error("list " + response.status);
          }
          return response.text();
        })
        .then(function (html) {
          var doc = new DOMParser().parseFromString(html, "text/html");
          var fresh = doc.querySelector("[data-chat-list]");
          if (fresh) {
            list.replaceChildren.apply(list, Array.prototype.map.call(fresh.childNodes, function (node) {
              return document.importNode(node, true);
            }));
          }
        });
    }).catch(function () {});
    queue = listReload;
  }

  function showUnread(counts) {
    var listed = {};
    list.querySelectorAll("[data-conversation]").forEach(function (row) {
      listed[row.dataset.conversation] = true;
      var n = counts[row.dataset.conversation] || 0;
      setBadge(row.querySelector("[data-unread]"), n);
      row.classList.toggle("conversation-unread", n > 0);
    });
    var missing = Object.keys(counts).some(function (id) {
      return counts[id] > 0 && !listed[id];
    });
    if (missing) {
      reloadList();
    }
  }

  // --- Typing -----------------------------------------------------------------------------

  function showTyping(name) {
    if (!typingEl) {
      return;
    }
    typingEl.textContent = typingEl.dataset.template.replace("{name}", function () {
      return name;
    });
    clearTimeout(typingTimer);
    typingTimer = setTimeout(function () {
      typingEl.textContent = "";
    }, TYPING_SHOW_MS);
  }

  // --- Sending ----------------------------------------------------------------------------

  function uuid4() {
    if (window.crypto && crypto.randomUUID) {
      return crypto.randomUUID();
    }
    var bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) {
      return (b + 256).toString(16).slice(1);
    }).join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
  }

  function setStatus(text) {
    if (statusEl) {
      statusEl.textContent = text;
    }
  }

  function finishSend(ok, errorText) {
    if (!pending) {
      return;
    }
    clearTimeout(pending.timer);
    pending = null;
    form.querySelector("button[type=submit]").disabled = false;
    if (ok) {
      form.elements.body.value = "";
      form.elements.client_id.value = uuid4(); // the next message is a new one
      setStatus("");
    } else {
      setStatus(errorText || "");
    }
  }

  function onSubmit(event) {
    if (!open || !live.isOpen() || pending) {
      return; // the normal POST, with the same client_id
    }
    var body = form.elements.body.value;
    if (!body.trim()) {
      return; // let the browser's own validation speak
    }
    event.preventDefault();
    var clientId = form.elements.client_id.value;
    pending = {
      clientId: clientId,
      // No answer: post the form after all; the server finds the message if it got it.
      timer: setTimeout(function () {
        pending = null;
        form.submit();
      }, ACK_TIMEOUT_MS),
    };
    form.querySelector("button[type=submit]").disabled = true;
    live.send({ type: "send", conversation: conversationId, body: body, client_id: clientId });
  }

  function onInput() {
    var now = Date.now();
    if (now - lastTypingSent > TYPING_SEND_EVERY_MS) {
      lastTypingSent = now;
      live.send({ type: "typing", conversation: conversationId });
    }
  }

  // --- Frames from the socket -------------------------------------------------------------

  live.on("message.new", function (frame) {
    var message = frame.message;
    if (chat && message.conversation === conversationId) {
      if (!open) {
        return; // a page of older messages: the link back to the latest shows them
      }
      if (message.html) {
        show([message]);
      } else {
        resync();
      }
    } else if (list && message.sender !== userId) {
      // The server's list is exact: load it rather than count here.
      reloadList();
    }
  });
  live.on("message.changed", function (frame) {
    if (chat && frame.message.conversation === conversationId && shown(frame.message.id)) {
      var item = parse(frame.message.html);
      if (item) {
        place(adapt(item));
      }
    }
  });
  live.on("ack", function (frame) {
    if (pending && frame.client_id === pending.clientId) {
      finishSend(true);
      var messageId = frame.message;
      setTimeout(function () {
        if (!shown(messageId)) {
          resync(); // its "message.new" did not come (the layer is at-most-once)
        }
      }, ACK_SHOWN_MS);
    }
  });
  live.on("error", function (frame) {
    if (pending && frame.ref === pending.clientId) {
      finishSend(false, frame.message);
    }
  });
  live.on("typing", function (frame) {
    if (chat && frame.conversation === conversationId) {
      showTyping(frame.name);
    }
  });
  live.on("unread", function (frame) {
    if (list) {
      showUnread(frame.conversations || {});
    }
  });
  live.on("open", resync);
  live.on("close", function () {
    if (pending) {
      clearTimeout(pending.timer);
      pending = null;
      form.submit(); // the message may not have arrived: the POST finds out
    }
  });

  if (chat && open) {
    live.watch(conversationId); // read here as they arrive (not on a page of older ones)
  }
  if (form) {
    form.addEventListener("submit", onSubmit);
    form.elements.body.addEventListener("input", onInput);
  }
  document.addEventListener("visibilitychange", function () {
    if (chat && open && document.visibilityState === "visible") {
      markRead();
    }
  });
})();
