// Live conversations: the upgrade of the conversation pages (DESIGN.md §4).
//
// Without this file the pages work by links and form POSTs: the latest 50 messages with a
// "load older" link, a menu per message (a <details>: edit, delete, report) whose delete asks
// on a page of its own, the send form. With it, the tab's WebSocket (live.js,
// window.MentoringLive) brings new, edited and deleted messages, typing and unread counts;
// the send form goes over the socket (its client_id makes a resend harmless) and falls back to
// the normal POST when the socket is not open or gives no answer; Enter sends on a desktop
// (Shift+Enter: a new line; on a phone Enter is a new line and the button sends); the page
// opens at the "new messages" divider or the latest message, and scrolling up loads older
// pages from messages.json in place; delete asks in a dialog. A reconnect resyncs over HTTP
// from the last message id seen (messages.json): the database is the truth. The conversation
// list moves a conversation with a new message to the top with its snippet, time and unread
// badge from the live event, and asks for one row (messaging:row) only for a conversation it
// does not show yet (one the user has just joined, or one further down the list). The
// navigation's badges are live.js's.
//
// A message arrives rendered: "message.new" and "message.changed" (and messages.json) carry
// its markup, the page's own template partial rendered once on the server for every viewer,
// so a new message costs this tab no request. The server's escaped markup is parsed, never
// built from strings here; this file only keeps what applies to its viewer (adapt): the edit
// and delete controls on the viewer's own messages while they may still change them
// (data-sender, data-created, the page's edit window), the report link on everyone else's,
// and what applies to its place (fit): the day heading only on a day's first message, one
// name and photo for a sender's run of messages. Read state goes back once per burst of
// messages. Everything else is set with textContent. No inline script, no eval: CSP-safe.
(function () {
  "use strict";

  var chat = document.querySelector("[data-chat-conversation]");
  var list = document.querySelector("[data-chat-list]");
  var nav = document.querySelector("[data-live-user]");
  if (!chat && !list) {
    return;
  }
  // Without a socket (no WebSocket in this browser) the page still gets its layout, menus,
  // older messages and keys; sending is the form's POST.
  var live = window.MentoringLive || {
    userId: nav ? Number(nav.dataset.liveUser) : null,
    on: function () {},
    send: function () {
      return false;
    },
    isOpen: function () {
      return false;
    },
    watch: function () {},
  };

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
  var rowLoads = {}; // conversation id -> the row request under way
  var counted = {}; // conversation id -> the newest message id the list's badge counts
  var readOnly = chat ? chat.dataset.readOnly === "1" : false;
  var editWindow = chat ? Number(chat.dataset.editWindow) || 0 : 0;
  var groupGap = chat ? Number(chat.dataset.groupGap) || 0 : 0;
  var chatEnd = document.getElementById("chat-end");
  var olderBox = chat ? chat.querySelector("[data-older]") : null;
  var loadingOlder = false;
  var deleteDialog = document.getElementById("delete-dialog");
  var deleteRef = null; // the client id of the delete frame sent last
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
    var menu = item.querySelector("[data-menu]");
    if (menu && !menu.querySelector("[data-own-actions], [data-report]")) {
      menu.remove();
    }
    var token = document.querySelector('input[name="csrfmiddlewaretoken"]');
    item.querySelectorAll('form[method="post"]').forEach(function (form) {
      if (token && !form.querySelector('input[name="csrfmiddlewaretoken"]')) {
        form.insertBefore(token.cloneNode(false), form.firstChild);
      }
    });
    return item;
  }

  function previousMessage(item) {
    var before = item.previousElementSibling;
    return before && before.dataset && before.dataset.message ? before : null;
  }

  // What depends on the message before: the day heading only on a day's first message, and
  // one name and photo for a sender's run of messages (as the server arranges the page).
  function fit(item) {
    if (!item) {
      return;
    }
    var before = previousMessage(item);
    var sameDay = before !== null && before.dataset.day === item.dataset.day;
    var heading = item.querySelector("[data-day-heading]");
    if (heading && sameDay) {
      heading.remove();
    }
    var continued =
      sameDay &&
      item.dataset.sender !== "" &&
      item.dataset.sender === before.dataset.sender &&
      Number(item.dataset.created) - Number(before.dataset.created) < groupGap &&
      !item.querySelector("[data-divider]");
    item.classList.toggle("chat-message-continued", continued);
  }

  // New messages in id order; a changed one replaces the one shown (keeping its divider).
  function place(item) {
    var id = Number(item.dataset.message);
    var existing = document.getElementById(item.id);
    if (existing) {
      var divider = existing.querySelector("[data-divider]");
      if (divider) {
        item.insertBefore(divider, item.querySelector(".chat-row"));
      }
      existing.replaceWith(item);
      fit(item);
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
    fit(item);
    fit(next);
  }

  // The composer's own place (not where it sticks): the end of the conversation.
  function bottomOffset() {
    return chatEnd ? chatEnd.getBoundingClientRect().top + window.scrollY - window.innerHeight : 0;
  }

  function nearBottom() {
    return !chatEnd || chatEnd.getBoundingClientRect().top <= window.innerHeight + 200;
  }

  function toBottom() {
    window.scrollTo(0, Math.max(0, bottomOffset()));
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
      toBottom();
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

  function rowsEl() {
    return list.querySelector("[data-rows]");
  }

  function rowOf(conversation) {
    return list.querySelector('[data-conversation="' + Number(conversation) + '"]');
  }

  function firstPage() {
    return list.dataset.firstPage === "1";
  }

  // The newest conversation on top; the page keeps its length.
  function toTop(row) {
    var rows = rowsEl();
    rows.insertBefore(row, rows.firstElementChild);
    var empty = list.querySelector("[data-empty]");
    if (empty) {
      empty.remove();
    }
    var perPage = Number(list.dataset.perPage) || 0;
    while (perPage && rows.children.length > perPage) {
      rows.lastElementChild.remove();
    }
  }

  // Dates as the page's language writes them ("16.11.2026 klo 8.33", "16 Nov 2026, 08:33").
  function formatTime(iso) {
    var lang = document.documentElement.lang || "en";
    try {
      return new Intl.DateTimeFormat(lang === "en" ? "en-GB" : lang, {
        dateStyle: "medium",
        timeStyle: "short",
      }).format(new Date(iso));
    } catch (error) {
      return iso;
    }
  }

  function setSnippet(row, message) {
    var snippet = row.querySelector("[data-snippet]");
    if (!snippet) {
      return;
    }
    var who = document.createElement("span");
    who.dataset.snippetSender = "";
    who.textContent = message.sender === userId ? list.dataset.you : message.sender_name;
    var what = document.createElement("span");
    what.dataset.snippetBody = "";
    var text = message.hidden ? list.dataset.hidden : message.deleted ? list.dataset.deleted : message.body;
    what.textContent = text.length > 120 ? text.slice(0, 119) + "…" : text;
    snippet.replaceChildren(who, document.createTextNode(": "), what);
    row.dataset.latest = String(message.id);
  }

  // One row from the server (a conversation this page does not show yet), put on top.
  function loadRow(conversation) {
    var key = String(conversation);
    if (!firstPage() || rowLoads[key]) {
      return;
    }
    var url = list.dataset.rowUrl.replace(/\/0\/row\/$/, "/" + Number(conversation) + "/row/");
    rowLoads[key] = fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("row " + response.status);
        }
        return response.text();
      })
      .then(function (html) {
        var doc = new DOMParser().parseFromString("<ul>" + html + "</ul>", "text/html");
        var fresh = doc.querySelector("li[data-conversation]");
        if (fresh) {
          var row = document.importNode(fresh, true);
          var shownRow = rowOf(conversation);
          if (shownRow) {
            shownRow.replaceWith(row);
          }
          toTop(row);
        }
      })
      .catch(function () {})
      .then(function () {
        delete rowLoads[key];
      });
  }

  function onListMessage(message) {
    var row = rowOf(message.conversation);
    if (!row) {
      loadRow(message.conversation);
      return;
    }
    if (rowLoads[String(message.conversation)]) {
      return; // the row on its way shows it
    }
    setSnippet(row, message);
    var time = row.querySelector("[data-activity]");
    if (time) {
      time.dateTime = message.created_at;
      time.textContent = formatTime(message.created_at);
    }
    var key = String(message.conversation);
    if (message.sender !== userId && message.id > (counted[key] || 0)) {
      counted[key] = message.id;
      var badge = row.querySelector("[data-unread]");
      var count = badge ? Number(badge.querySelector("[data-count]").textContent) || 0 : 0;
      setBadge(badge, count + 1);
      row.classList.add("conversation-unread");
    }
    if (firstPage()) {
      toTop(row);
    }
  }

  function onListChange(message) {
    var row = rowOf(message.conversation);
    if (row && row.dataset.latest === String(message.id)) {
      setSnippet(row, message);
    }
  }

  function showUnread(frame) {
    var counts = frame.conversations || {};
    counted = Object.assign({}, frame.latest); // a copy: live.js moves its own on
    list.querySelectorAll("[data-conversation]").forEach(function (row) {
      var n = counts[row.dataset.conversation] || 0;
      setBadge(row.querySelector("[data-unread]"), n);
      row.classList.toggle("conversation-unread", n > 0);
    });
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
    var button = form.querySelector("button[type=submit]");
    var lostFocus = document.activeElement === button || document.activeElement === document.body;
    button.disabled = false;
    if (lostFocus) {
      form.elements.body.focus(); // the button had it while it was disabled
    }
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
    } else if (list) {
      onListMessage(message);
    }
  });
  live.on("message.changed", function (frame) {
    if (list) {
      onListChange(frame.message);
    }
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
    } else if (deleteRef && frame.ref === deleteRef) {
      deleteRef = null;
      setStatus(frame.message); // e.g. the time for changes has passed
    }
  });
  live.on("typing", function (frame) {
    if (chat && frame.conversation === conversationId) {
      showTyping(frame.name);
    }
  });
  live.on("membership", function (frame) {
    // A conversation the user was just added to (started by someone, or a group formed).
    if (list && frame.action === "join" && !rowOf(frame.conversation)) {
      loadRow(frame.conversation);
    }
  });
  live.on("unread", function (frame) {
    if (list) {
      showUnread(frame);
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

  // --- Older messages --------------------------------------------------------------------

  // The page of messages before the first one shown, put above it without moving what the
  // reader looks at.
  function loadOlder() {
    var first = messagesEl ? messagesEl.querySelector("[data-message]") : null;
    if (loadingOlder || !olderBox || !first) {
      return;
    }
    loadingOlder = true;
    var top = first.getBoundingClientRect().top;
    var url = chat.dataset.historyUrl + "?before=" + Number(first.dataset.message);
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("history " + response.status);
        }
        return response.json();
      })
      .then(function (data) {
        (data.messages || []).forEach(function (message) {
          var item = parse(message.html);
          if (item && !shown(message.id)) {
            messagesEl.insertBefore(adapt(item), first);
            fit(item);
          }
        });
        fit(first);
        window.scrollBy(0, first.getBoundingClientRect().top - top);
        var firstNow = messagesEl.querySelector("[data-message]");
        if (data.has_older && firstNow) {
          olderBox.querySelector("a").href = "?before=" + firstNow.dataset.message;
        } else {
          olderBox.remove();
          olderBox = null;
        }
      })
      .catch(function () {})
      .then(function () {
        loadingOlder = false;
        watchOlder();
      });
  }

  var olderObserver = null;

  // When the "load older" link comes into view (scrolling up), load them.
  function watchOlder() {
    if (!olderBox || !("IntersectionObserver" in window)) {
      return;
    }
    if (olderObserver) {
      olderObserver.disconnect();
    }
    olderObserver = new IntersectionObserver(function (entries) {
      if (entries.some(function (entry) { return entry.isIntersecting; })) {
        loadOlder();
      }
    });
    olderObserver.observe(olderBox);
  }

  // --- Message menus and the delete dialog -------------------------------------------------

  function closeMenus(except) {
    document.querySelectorAll("details[data-menu][open]").forEach(function (menu) {
      if (menu !== except) {
        menu.open = false;
      }
    });
  }

  function onMenuKey(event) {
    var menu = event.target.closest ? event.target.closest("details[data-menu]") : null;
    if (event.key === "Escape" && menu && menu.open) {
      menu.open = false;
      menu.querySelector("summary").focus();
    }
  }

  function onPageClick(event) {
    var target = event.target;
    var menu = target.closest ? target.closest("details[data-menu]") : null;
    closeMenus(menu);
    var link = target.closest ? target.closest("a[data-delete]") : null;
    if (!link || !deleteDialog || typeof deleteDialog.showModal !== "function") {
      return; // without the dialog: the confirmation page
    }
    event.preventDefault();
    var item = link.closest("[data-message]");
    var confirmForm = deleteDialog.querySelector("form");
    confirmForm.action = link.getAttribute("href");
    deleteDialog.dataset.message = item ? item.dataset.message : "";
    if (menu) {
      menu.open = false;
    }
    deleteDialog.showModal();
  }

  function onDeleteConfirmed(event) {
    var messageId = Number(deleteDialog.dataset.message);
    if (!messageId || !live.isOpen()) {
      return; // the form's POST
    }
    event.preventDefault();
    deleteRef = uuid4(); // names the error frame if the server refuses
    live.send({ type: "delete", message: messageId, client_id: deleteRef });
    deleteDialog.close();
    var item = document.getElementById("message-" + messageId);
    var summary = item ? item.querySelector("summary") : null;
    if (summary) {
      summary.focus();
    } else if (form) {
      form.elements.body.focus();
    }
  }

  // --- Keys and the first view ---------------------------------------------------------------

  // Enter sends where there is a keyboard (Shift+Enter: a new line); on a touch screen or a
  // narrow one Enter makes a new line and the button sends.
  function enterSends() {
    return window.matchMedia("(hover: hover) and (pointer: fine)").matches && window.innerWidth >= 768;
  }

  function showHint() {
    var hint = document.getElementById("send-hint");
    if (hint) {
      hint.textContent = hint.dataset.text;
      hint.hidden = !enterSends();
    }
  }

  function onKey(event) {
    if (event.key !== "Enter" || event.shiftKey || event.isComposing || !enterSends()) {
      return;
    }
    event.preventDefault();
    if (form.elements.body.value.trim()) {
      if (typeof form.requestSubmit === "function") {
        form.requestSubmit();
      } else {
        form.querySelector("button[type=submit]").click();
      }
    }
  }

  // Open at the "new messages" divider, or at the latest message, the composer in view.
  function firstView() {
    if (location.hash) {
      return; // a link to one message
    }
    var divider = messagesEl ? messagesEl.querySelector("[data-divider]") : null;
    var target = bottomOffset();
    if (divider) {
      target = Math.min(target, divider.getBoundingClientRect().top + window.scrollY - 16);
    }
    window.scrollTo(0, Math.max(0, target));
  }

  if (chat) {
    firstView();
    watchOlder();
    if (olderBox) {
      olderBox.querySelector("a").addEventListener("click", function (event) {
        if ("IntersectionObserver" in window) {
          event.preventDefault();
          loadOlder();
        }
      });
    }
    document.addEventListener("click", onPageClick);
    document.addEventListener("keydown", onMenuKey);
    if (deleteDialog) {
      deleteDialog.querySelector("form").addEventListener("submit", onDeleteConfirmed);
      deleteDialog.querySelector("[data-cancel]").addEventListener("click", function () {
        deleteDialog.close();
      });
    }
  }
  if (chat && open) {
    live.watch(conversationId); // read here as they arrive (not on a page of older ones)
  }
  if (form) {
    form.addEventListener("submit", onSubmit);
    form.elements.body.addEventListener("input", onInput);
    form.elements.body.addEventListener("keydown", onKey);
    showHint();
    window.addEventListener("resize", showHint);
  }
  document.addEventListener("visibilitychange", function () {
    if (chat && open && document.visibilityState === "visible") {
      markRead();
    }
  });
})();
