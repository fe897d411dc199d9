// Live conversations: the upgrade of the conversation pages (DESIGN.md §4).
//
// Without this file the pages work by links and form POSTs. With it, the tab's WebSocket
// (live.js, window.MentoringLive) brings new, edited and deleted messages, typing and unread
// counts; the send form goes over the socket (its client_id makes a resend harmless) and falls
// back to the normal POST when the socket is not open or gives no answer. A reconnect resyncs
// over HTTP from the last message id seen: the database is the truth, the socket only says
// "something happened". The navigation's badges are live.js's.
//
// Messages are rendered by the server with the page's own template partial
// (messaging:fragments); the text the server escaped is parsed, never built from strings here.
// Everything else is set with textContent. No inline script, no eval: CSP-safe.
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
  var queue = Promise.resolve(); // fragment fetches, one after another, in order
  var typingTimer = null;
  var lastTypingSent = 0;
  var lastReadSent = 0;

  var ACK_TIMEOUT_MS = 8000;
  var TYPING_SHOW_MS = 4000;
  var TYPING_SEND_EVERY_MS = 3000;

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
    if (!open) {
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
    if (!open) {
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
    if (upTo > lastReadSent && document.visibilityState === "visible" && live.isOpen()) {
      lastReadSent = upTo;
      live.send({ type: "read", conversation: conversationId, up_to: upTo });
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
        });
    }).catch(function () {});
  }

  function showUnread(counts) {
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
      catchUp();
    } else if (list && message.sender !== userId) {
      // The server's list is exact: load it rather than count here.
      reloadList();
    }
  });
  live.on("message.changed", function (frame) {
    if (chat && frame.message.conversation === conversationId && open) {
      refresh(frame.message.id);
    }
  });
  live.on("ack", function (frame) {
    if (pending && frame.client_id === pending.clientId) {
      finishSend(true);
      catchUp();
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
