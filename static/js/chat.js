// Live conversations: the upgrade of the conversation pages (DESIGN.md §4).
//
// Without this file the pages work by links and form POSTs. With it, one WebSocket per tab at
// /ws/ brings new, edited and deleted messages, typing and unread counts; the send form goes
// over the socket (its client_id makes a resend harmless) and falls back to the normal POST
// when the socket is not open or gives no answer. A reconnect resyncs over HTTP from the last
// message id seen: the database is the truth, the socket only says "something happened".
//
// Messages are rendered by the server with the page's own template partial
// (messaging:fragments); the text the server escaped is parsed, never built from strings here.
// Everything else is set with textContent. No inline script, no eval: CSP-safe.
(function () {
  "use strict";

  var chat = document.querySelector("[data-chat-conversation]");
  var list = document.querySelector("[data-chat-list]");
  if (!chat && !list) {
    return;
  }

  var userId = Number((chat || list).dataset.user);
  var conversationId = chat ? Number(chat.dataset.chatConversation) : null;
  var live = chat ? chat.dataset.live === "1" : false;
  var messagesEl = document.getElementById("messages");
  var form = document.getElementById("send-form");
  var statusEl = document.getElementById("send-status");
  var typingEl = document.getElementById("typing");

  var socket = null;
  var attempts = 0;
  var stopped = false;
  var pending = null; // {clientId, timer} of the message sent over the socket
  var queue = Promise.resolve(); // fragment fetches, one after another, in order
  var typingTimer = null;
  var lastTypingSent = 0;
  var lastReadSent = 0;

  var ACK_TIMEOUT_MS = 8000;
  var TYPING_SHOW_MS = 4000;
  var TYPING_SEND_EVERY_MS = 3000;
  var MAX_BACKOFF_MS = 30000;

  // --- Messages on the page ---------------------------------------------------------------

  function lastMessageId() {
    if (!messagesEl) {
      return 0;
    }
    var items = messagesEl.querySelectorAll("[data-message]");
    return items.length ? Number(items[items.length - 1].dataset.message) : 0;
  }

  function fetchFragments(query) {
    var url = chat.dataset.fragmentsUrl + "?" + query;
    return fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("fragments " + response.status);
        }
        return response.text();
      })
      .then(function (html) {
        // The server's own escaped markup, parsed as a separate document: scripts in it
        // would never run, and there are none.
        var doc = new DOMParser().parseFromString("<ol>" + html + "</ol>", "text/html");
        return Array.prototype.slice.call(doc.querySelectorAll("[data-message]"));
      });
  }

  function place(items) {
    var empty = chat.querySelector("[data-empty]");
    items.forEach(function (item) {
      var node = document.importNode(item, true);
      var existing = document.getElementById(node.id);
      if (existing) {
        existing.replaceWith(node);
      } else {
        messagesEl.appendChild(node);
        if (empty) {
          empty.remove();
          empty = null;
        }
      }
    });
  }

  function nearBottom() {
    return window.innerHeight + window.scrollY >= document.body.scrollHeight - 200;
  }

  // New messages after the last one shown, until there are no more (bounded).
  function catchUp() {
    if (!live) {
      return;
    }
    queue = queue.then(function () {
      var rounds = 0;
      function more() {
        var stick = nearBottom();
        return fetchFragments("after=" + lastMessageId()).then(function (items) {
          place(items);
          if (items.length && stick) {
            messagesEl.lastElementChild.scrollIntoView({ block: "end" });
          }
          rounds += 1;
          if (items.length >= 50 && rounds < 20) {
            return more();
          }
          markRead();
        });
      }
      return more();
    }).catch(function () {});
  }

  function refresh(messageId) {
    queue = queue.then(function () {
      return fetchFragments("id=" + messageId).then(place);
    }).catch(function () {});
  }

  // After a reconnect: ask the history API what came after the last id seen, then render it.
  function resync() {
    if (!live) {
      return;
    }
    var url = chat.dataset.historyUrl + "?after=" + lastMessageId();
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.ok ? response.json() : { messages: [] };
      })
      .then(function (data) {
        if (data.messages && data.messages.length) {
          catchUp();
        }
      })
      .catch(function () {});
  }

  function markRead() {
    var upTo = lastMessageId();
    if (upTo > lastReadSent && document.visibilityState === "visible" && isOpen()) {
      lastReadSent = upTo;
      sendFrame({ type: "read", conversation: conversationId, up_to: upTo });
    }
  }

  // --- Unread badges ----------------------------------------------------------------------

  function setBadge(badge, count) {
    if (!badge) {
      return;
    }
    badge.querySelector("[data-count]").textContent = String(count);
    badge.hidden = count <= 0;
  }

  function navBadge() {
    var badge = document.querySelector("[data-unread-total]");
    var link = document.getElementById("nav-conversations");
    if (badge || !link) {
      return badge;
    }
    // The page was rendered with nothing unread: build the badge as base.html would.
    badge = document.createElement("span");
    badge.className = "badge badge-new";
    badge.dataset.unreadTotal = "";
    badge.hidden = true;
    var count = document.createElement("span");
    count.dataset.count = "";
    var label = document.createElement("span");
    label.className = "visually-hidden";
    label.textContent = " " + link.dataset.unreadLabel;
    badge.appendChild(count);
    badge.appendChild(label);
    link.appendChild(document.createTextNode(" "));
    link.appendChild(badge);
    return badge;
  }

  // A new message or a conversation the list does not show yet: load the list again and
  // put the server's rows in place of these (parsed as a separate document, like messages).
  function reloadList() {
    queue = queue.then(function () {
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
          var total = doc.querySelector("[data-unread-total] [data-count]");
          setBadge(navBadge(), total ? Number(total.textContent) || 0 : 0);
        });
    }).catch(function () {});
  }

  function showUnread(counts, total) {
    setBadge(navBadge(), total);
    if (!list) {
      return;
    }
    var shown = {};
    list.querySelectorAll("[data-conversation]").forEach(function (row) {
      shown[row.dataset.conversation] = true;
      var n = counts[row.dataset.conversation] || 0;
      setBadge(row.querySelector("[data-unread]"), n);
      row.classList.toggle("conversation-unread", n > 0);
    });
    var missing = Object.keys(counts).some(function (id) {
      return counts[id] > 0 && !shown[id];
    });
    if (missing) {
      reloadList();
    }
  }

  function bumpUnread(message) {
    if (list) {
      // The server's list is exact; counting here could count a message twice when it comes
      // right after the "unread" snapshot that already has it (a new conversation).
      reloadList();
      return;
    }
    var badge = navBadge();
    if (badge) {
      var total = Number(badge.querySelector("[data-count]").textContent) || 0;
      setBadge(badge, total + 1);
    }
  }

  // --- Typing -----------------------------------------------------------------------------

  function showTyping(name) {
    if (!typingEl) {
      return;
    }
    typingEl.textContent = typingEl.dataset.template.replace("{name}", name);
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
    if (!live || !isOpen() || pending) {
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
    sendFrame({ type: "send", conversation: conversationId, body: body, client_id: clientId });
  }

  function onInput() {
    var now = Date.now();
    if (now - lastTypingSent > TYPING_SEND_EVERY_MS) {
      lastTypingSent = now;
      sendFrame({ type: "typing", conversation: conversationId });
    }
  }

  // --- The socket -------------------------------------------------------------------------

  function isOpen() {
    return socket !== null && socket.readyState === WebSocket.OPEN;
  }

  function sendFrame(frame) {
    if (isOpen()) {
      socket.send(JSON.stringify(frame));
    }
  }

  function onFrame(event) {
    var frame;
    try {
      frame = JSON.parse(event.data);
    } catch (error) {
      return;
    }
    var message = frame.message;
    switch (frame.type) {
      case "message.new":
        if (message.conversation === conversationId) {
          catchUp();
        } else if (message.sender !== userId) {
          bumpUnread(message);
        }
        break;
      case "message.changed":
        if (message.conversation === conversationId && live) {
          refresh(message.id);
        }
        break;
      case "ack":
        if (pending && frame.client_id === pending.clientId) {
          finishSend(true);
          catchUp();
        }
        break;
      case "error":
        if (pending && frame.ref === pending.clientId) {
          finishSend(false, frame.message);
        }
        break;
      case "typing":
        if (frame.conversation === conversationId) {
          showTyping(frame.name);
        }
        break;
      case "unread":
        showUnread(frame.conversations || {}, frame.total || 0);
        break;
    }
  }

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + "/ws/");
    socket.addEventListener("open", function () {
      attempts = 0;
      resync();
    });
    socket.addEventListener("message", onFrame);
    socket.addEventListener("close", function (event) {
      socket = null;
      if (pending && !stopped) {
        clearTimeout(pending.timer);
        pending = null;
        form.submit(); // the message may not have arrived: the POST finds out
      }
      if (stopped || event.code === 4401) {
        return; // signed out: the next page load goes to the sign-in page
      }
      attempts += 1;
      var base = event.code === 4429 ? MAX_BACKOFF_MS : Math.min(MAX_BACKOFF_MS, 1000 * Math.pow(2, attempts - 1));
      setTimeout(connect, base / 2 + Math.random() * base / 2);
    });
  }

  if (form) {
    form.addEventListener("submit", onSubmit);
    form.elements.body.addEventListener("input", onInput);
  }
  document.addEventListener("visibilitychange", function () {
    if (chat && live && document.visibilityState === "visible") {
      markRead();
    }
  });
  window.addEventListener("pagehide", function () {
    stopped = true;
  });
  connect();
})();
