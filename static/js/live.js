// Live updates on every page of a signed-in user (DESIGN.md §4).
//
// Without this file every page works by links and form POSTs, and the counts in the
// navigation are those of the page load. With it, the tab's one WebSocket at /ws/ keeps the
// navigation's unread badges (conversations, notifications) up to date and announces new
// notifications (announcements, weekly themes, messages while away) on whatever page is open.
// Page scripts (chat.js) use the same socket through window.MentoringLive:
//   on(type, fn)    frames of a type ("message.new", "ack", ...), "open" (the server said
//                   hello: signed in and subscribed) and "close"; a listener added after
//                   "open" or "unread" is called at once with the latest one
//   send(frame)     true if it went out on an open socket
//   isOpen()
//   watch(id)       the conversation shown on this page: its new messages are read here, so
//                   they do not bump the badge while the page is visible
// Everything is set with textContent. No inline script, no eval: CSP-safe.
(function () {
  "use strict";

  var nav = document.querySelector("[data-live-user]");
  if (!nav || !("WebSocket" in window)) {
    return;
  }

  var userId = Number(nav.dataset.liveUser);
  var noticeEl = document.getElementById("live-notice");
  var socket = null;
  var attempts = 0;
  var stopped = false;
  var listeners = {};
  var watching = null;
  var ready = false; // this socket said hello
  var lastUnread = null;
  // The newest unread message id per conversation that the last "unread" snapshot counted:
  // a "message.new" at or below it is already in the total (a new conversation's first one).
  var counted = {};
  var unreadTotal = null;

  var MAX_BACKOFF_MS = 30000;

  function emit(type, data) {
    (listeners[type] || []).forEach(function (fn) {
      try {
        fn(data);
      } catch (error) {
        // One page script failing must not stop the others or the badges.
      }
    });
  }

  // --- Navigation badges ------------------------------------------------------------------

  // The badge inside a navigation link; built as base.html would when the page had none.
  function badgeOf(link) {
    var badge = link.querySelector("[data-live-badge]");
    if (badge) {
      return badge;
    }
    badge = document.createElement("span");
    badge.className = "badge badge-new";
    badge.dataset.liveBadge = "";
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

  function setCount(linkId, count) {
    var link = document.getElementById(linkId);
    if (!link) {
      return;
    }
    var badge = badgeOf(link);
    badge.querySelector("[data-count]").textContent = String(count);
    badge.hidden = count <= 0;
  }

  function onUnread(frame) {
    lastUnread = frame;
    counted = frame.latest || {};
    unreadTotal = frame.total || 0;
    setCount("nav-conversations", unreadTotal);
  }

  function onNewMessage(message) {
    var key = String(message.conversation);
    if (message.sender === userId || unreadTotal === null) {
      return;
    }
    if (message.conversation === watching && document.visibilityState === "visible") {
      return; // read on this page; the server's next snapshot says so
    }
    if (message.id <= (counted[key] || 0)) {
      return; // the snapshot already counted it
    }
    counted[key] = message.id;
    unreadTotal += 1;
    setCount("nav-conversations", unreadTotal);
  }

  // --- Notifications ----------------------------------------------------------------------

  // A link only to this site (the server sends its own relative URLs): its path, or null.
  function sameSite(url) {
    if (typeof url !== "string" || !url) {
      return null;
    }
    try {
      var parsed = new URL(url, location.origin);
      return parsed.origin === location.origin ? parsed.pathname + parsed.search + parsed.hash : null;
    } catch (error) {
      return null;
    }
  }

  function announce(item) {
    if (!noticeEl || !item || !item.subject) {
      return;
    }
    var text = document.createElement("span");
    text.textContent = noticeEl.dataset.template.replace("{subject}", function () {
      return item.subject;
    });
    var parts = [text];
    var target = sameSite(item.url);
    if (target) {
      var link = document.createElement("a");
      link.href = target;
      link.textContent = noticeEl.dataset.openLabel;
      parts.push(document.createTextNode(" "), link);
    }
    noticeEl.replaceChildren.apply(noticeEl, parts);
  }

  function onNotifications(frame) {
    setCount("nav-notifications", frame.unread || 0);
    announce(frame.new);
  }

  // --- The socket -------------------------------------------------------------------------

  function onFrame(event) {
    var frame;
    try {
      frame = JSON.parse(event.data);
    } catch (error) {
      return;
    }
    if (!frame || typeof frame.type !== "string") {
      return;
    }
    if (frame.type === "hello") {
      // Signed in and subscribed: only now is this a working connection (a refused socket
      // is accepted and closed at once, and must not reset the backoff).
      attempts = 0;
      ready = true;
      emit("open", frame);
    } else if (frame.type === "unread") {
      onUnread(frame);
    } else if (frame.type === "message.new" && frame.message) {
      onNewMessage(frame.message);
    } else if (frame.type === "notifications") {
      onNotifications(frame);
    }
    emit(frame.type, frame);
  }

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var current = new WebSocket(scheme + location.host + "/ws/");
    socket = current;
    current.addEventListener("message", function (event) {
      if (socket === current) {
        onFrame(event);
      }
    });
    current.addEventListener("close", function (event) {
      if (socket !== current) {
        return; // an old socket, already replaced
      }
      socket = null;
      ready = false;
      if (stopped) {
        return;
      }
      emit("close", event);
      if (event.code === 4401) {
        return; // signed out: the next page load goes to the sign-in page
      }
      attempts += 1;
      var base = event.code === 4429 ? MAX_BACKOFF_MS : Math.min(MAX_BACKOFF_MS, 1000 * Math.pow(2, attempts - 1));
      setTimeout(connect, base / 2 + Math.random() * base / 2);
    });
  }

  function isOpen() {
    return ready && socket !== null && socket.readyState === WebSocket.OPEN;
  }

  window.MentoringLive = {
    userId: userId,
    on: function (type, fn) {
      (listeners[type] = listeners[type] || []).push(fn);
      if (type === "open" && ready) {
        fn(null);
      } else if (type === "unread" && lastUnread) {
        fn(lastUnread);
      }
    },
    send: function (frame) {
      if (!isOpen()) {
        return false;
      }
      socket.send(JSON.stringify(frame));
      return true;
    },
    isOpen: isOpen,
    watch: function (conversationId) {
      watching = conversationId;
    },
  };

  window.addEventListener("pagehide", function () {
    stopped = true;
  });
  window.addEventListener("pageshow", function (event) {
    if (event.persisted && stopped) {
      // Back from the browser's page cache, whose sockets it closes.
      stopped = false;
      if (socket === null || socket.readyState >= WebSocket.CLOSING) {
        connect();
      }
    }
  });
  // After every deferred page script has registered its listeners: deferred scripts run
  // before DOMContentLoaded (while readyState is already "interactive").
  if (document.readyState === "complete") {
    connect();
  } else {
    document.addEventListener("DOMContentLoaded", connect);
  }
})();
