/* The site's small live client (no dependencies): one websocket to /ws/ per tab.
 *
 * Streams to follow come from the page:
 *   <div data-live-streams="topic.12@41 latest@977">   (the {% live_streams %} tag: stream@newest id shown)
 *   <body data-member="7">                             (the member's own stream: badge, toasts)
 * and, for forum templates that do not carry the attribute, from [data-topic="12"] and [data-topic-list].
 *
 * Protocol (community/live/consumers.py): we send {"type":"subscribe","stream":..,"last_id":N}; the server
 * sends everything after N in order, then {"type":"subscribed","last_id":M}, or {"type":"resync"} when we are
 * too far behind. The last id per stream is kept in memory and in sessionStorage; a dropped connection
 * reconnects with jittered exponential backoff and catches up from there, so nothing is lost or repeated.
 *
 * Every event is also dispatched as a DOM event: document "live:event" with detail {stream, id, event}, so
 * app scripts (events.js...) can react without opening sockets of their own. Also "live:resync",
 * "live:revoked". window.CommunityLive = {subscribe, unsubscribe, typing, lastId}.
 */
(function () {
  "use strict";
  if (!("WebSocket" in window) || window.CommunityLive) return;

  var gettext = window.gettext || function (s) { return s; };
  var ngettext = window.ngettext || function (singular, plural, n) { return n === 1 ? singular : plural; };
  // Named placeholders only: Django's catalogue interpolate() needs named=true for them.
  var interpolate = function (fmt, values) {
    if (window.interpolate) return window.interpolate(fmt, values, true);
    return fmt.replace(/%\((\w+)\)s/g, function (_m, key) { return String(values[key]); });
  };

  var STORE_PREFIX = "live:last:";
  var TYPING_EVERY = 4000;
  var PING_EVERY = 30000;
  var body = document.body;
  var memberId = body.getAttribute("data-member");
  var streams = {}; // name -> {lastId: number|null}
  var socket = null;
  var attempt = 0;
  var retryTimer = null;
  var pingTimer = null;
  var stopped = false;
  var lastTyping = 0;

  // --- streams and ids ------------------------------------------------------------------------------------

  function stored(stream) {
    try {
      var value = sessionStorage.getItem(STORE_PREFIX + stream);
      return value === null ? null : parseInt(value, 10);
    } catch (e) { return null; }
  }

  function remember(stream, id) {
    var state = streams[stream];
    if (!state || typeof id !== "number" || (state.lastId !== null && id <= state.lastId)) return;
    state.lastId = id;
    try { sessionStorage.setItem(STORE_PREFIX + stream, String(id)); } catch (e) { /* private mode */ }
  }

  function add(stream, lastId) {
    if (!stream || streams[stream]) return;
    var id = typeof lastId === "number" && !isNaN(lastId) ? lastId : stored(stream);
    streams[stream] = { lastId: typeof id === "number" && !isNaN(id) ? id : null };
    if (socket && socket.readyState === WebSocket.OPEN) sendSubscribe(stream);
  }

  function collect() {
    document.querySelectorAll("[data-live-streams]").forEach(function (el) {
      (el.getAttribute("data-live-streams") || "").split(/\s+/).forEach(function (spec) {
        if (!spec) return;
        var at = spec.lastIndexOf("@");
        add(at > 0 ? spec.slice(0, at) : spec, at > 0 ? parseInt(spec.slice(at + 1), 10) : null);
      });
    });
    var topic = document.querySelector("[data-topic]");
    if (topic) add("topic." + topic.getAttribute("data-topic"), null);
    var list = document.querySelector("[data-topic-list]");
    if (list) add(list.hasAttribute("data-category") ? "category." + list.getAttribute("data-category") : "latest", null);
    if (memberId) add("member." + memberId, null);
  }

  // --- the socket ---------------------------------------------------------------------------------------

  function send(message) {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
  }

  function sendSubscribe(stream) {
    send({ type: "subscribe", stream: stream, last_id: streams[stream].lastId });
  }

  function connect() {
    retryTimer = null;
    if (stopped || !Object.keys(streams).length) return;
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + "/ws/");
    socket.addEventListener("open", function () {
      Object.keys(streams).forEach(sendSubscribe);
      clearInterval(pingTimer);
      pingTimer = setInterval(function () { send({ type: "ping" }); }, PING_EVERY);
    });
    socket.addEventListener("message", function (message) {
      var frame;
      try { frame = JSON.parse(message.data); } catch (e) { return; }
      if (frame && typeof frame === "object") receive(frame);
    });
    socket.addEventListener("close", function (e) {
      clearInterval(pingTimer);
      socket = null;
      if (e.code === 4003 || e.code === 1008 || stopped) return; // not allowed / policy: do not hammer
      scheduleReconnect();
    });
  }

  function scheduleReconnect() {
    if (retryTimer) return;
    // Jittered exponential backoff: 0.5-1 x (1 s, 2 s, 4 s ... 30 s), so a restarted server is not stampeded.
    var base = Math.min(30000, 1000 * Math.pow(2, attempt));
    attempt += 1;
    retryTimer = setTimeout(connect, base * (0.5 + Math.random() / 2));
  }

  function receive(frame) {
    var stream = frame.stream;
    switch (frame.type) {
      case "event":
        if (!streams[stream]) return;
        if (typeof frame.id === "number") {
          var last = streams[stream].lastId;
          if (last !== null && frame.id <= last) return; // already applied
          remember(stream, frame.id);
        }
        apply(stream, frame.event || {}, frame.id);
        document.dispatchEvent(new CustomEvent("live:event", { detail: { stream: stream, id: frame.id, event: frame.event } }));
        break;
      case "subscribed":
        attempt = 0;
        if (streams[stream]) remember(stream, frame.last_id);
        break;
      case "resync":
        if (!streams[stream]) return;
        streams[stream].lastId = null;
        remember(stream, frame.last_id);
        resync(stream);
        document.dispatchEvent(new CustomEvent("live:resync", { detail: { stream: stream } }));
        break;
      case "revoked":
        delete streams[stream];
        document.dispatchEvent(new CustomEvent("live:revoked", { detail: { stream: stream } }));
        break;
      case "error":
        if (frame.code === "forbidden" && stream) delete streams[stream];
        break;
      default:
        break;
    }
  }

  // --- applying events ----------------------------------------------------------------------------------

  function fragment(html) {
    var template = document.createElement("template");
    template.innerHTML = html; // server-rendered, sanitised by community.markup
    return template.content;
  }

  function processHtmx(el) {
    if (el && window.htmx) window.htmx.process(el);
  }

  function announce(text) {
    var region = document.getElementById("live-status");
    if (!region) {
      region = document.createElement("div");
      region.id = "live-status";
      region.className = "visually-hidden";
      region.setAttribute("role", "status");
      region.setAttribute("aria-live", "polite");
      body.appendChild(region);
    }
    region.textContent = text;
  }

  function apply(stream, event, id) {
    var kind = stream.split(".")[0];
    switch (event.type) {
      case "forum.post": return applyPost(event);
      case "forum.reaction": return applyReaction(event);
      case "forum.topic": return kind === "topic" ? applyTopicState(event) : countListEvent(event);
      case "notifications.notification": return applyNotification(event, id);
      case "live.readers": return applyReaders(event);
      case "live.typing": return applyTyping(event);
      default: return undefined;
    }
  }

  function postsContainer(topicId) {
    return document.querySelector('[data-topic="' + topicId + '"] [data-posts]') || document.querySelector("[data-posts]");
  }

  // A new reply carries the topic's reply count (one frame per reply); forum.topic carries it too.
  function showReplyCount(event) {
    if (typeof event.reply_count !== "number") return;
    document.querySelectorAll("[data-reply-count]").forEach(function (el) {
      el.textContent = interpolate(ngettext("%(n)s reply", "%(n)s replies", event.reply_count), { n: event.reply_count });
    });
  }

  function applyPost(event) {
    showReplyCount(event);
    var container = postsContainer(event.topic_id);
    if (!container) return;
    var existing = container.querySelector('[data-post-id="' + event.post_id + '"]');
    if (event.op === "remove") {
      if (existing && event.html) {
        existing.replaceWith(fragment(event.html));
      } else if (existing) {
        existing.classList.add("post-muted");
        var text = existing.querySelector(".post-body");
        if (text) text.textContent = gettext("This post was deleted.");
        var actions = existing.querySelector(".post-actions");
        if (actions) actions.remove();
      }
      return;
    }
    if (!event.html) return;
    if (existing) {
      existing.replaceWith(fragment(event.html));
      processHtmx(container.querySelector('[data-post-id="' + event.post_id + '"]'));
      return;
    }
    if (event.op !== "add") return;
    if (document.querySelector('a[rel="next"]')) {
      // Not on the last page: say so instead of inserting a post that belongs elsewhere.
      announce(gettext("New replies are on the last page."));
      return;
    }
    container.appendChild(fragment(event.html));
    processHtmx(container.querySelector('[data-post-id="' + event.post_id + '"]'));
    var topic = container.closest("[data-topic]");
    if (topic && event.number) topic.setAttribute("data-last-number", String(event.number));
    announce(interpolate(gettext("New reply #%(number)s"), { number: event.number }));
  }

  function applyReaction(event) {
    var box = document.querySelector('[data-reactions="' + event.post_id + '"]');
    if (!box) return;
    if (event.html) { box.replaceWith(fragment(event.html)); return; }
    var counts = event.counts || {};
    box.querySelectorAll("[data-count]").forEach(function (el) {
      var n = counts[el.getAttribute("data-count")] || 0;
      el.textContent = n ? String(n) : "";
      var button = el.closest(".reaction");
      if (button) button.classList.toggle("empty", !n);
    });
  }

  function applyTopicState(event) {
    var state = document.querySelector("[data-topic-state]");
    if (state) {
      var pills = [["pinned", gettext("Pinned")], ["locked", gettext("Locked")], ["closed", gettext("Closed")]];
      state.querySelectorAll("[data-live-pill]").forEach(function (el) { el.remove(); });
      // Server-rendered pills carry no marker: keep them only while the flag they show still holds.
      state.querySelectorAll(".tag-pill:not(.warn)").forEach(function (el) {
        pills.forEach(function (pill) { if (el.textContent.trim() === pill[1] && !event[pill[0]]) el.remove(); });
      });
      var shown = Array.prototype.map.call(state.querySelectorAll(".tag-pill"), function (el) { return el.textContent.trim(); });
      pills.slice().reverse().forEach(function (pill) {
        if (event[pill[0]] && shown.indexOf(pill[1]) === -1) {
          var el = document.createElement("span");
          el.className = "tag-pill";
          el.setAttribute("data-live-pill", "");
          el.textContent = pill[1];
          state.insertBefore(el, state.firstChild);
        }
      });
    }
    showReplyCount(event);
    if ("accepted_answer_id" in event) {
      document.querySelectorAll("[data-post-id]").forEach(function (post) {
        post.classList.toggle("post-accepted", String(event.accepted_answer_id) === post.getAttribute("data-post-id"));
      });
    }
    if (event.op === "remove" || event.deleted) announce(gettext("This topic was removed or merged."));
  }

  // List streams: count, never insert under the reader's cursor. A fixed banner (no layout shift) loads on click.
  var listChanges = { added: {}, updated: {} };

  function countListEvent(event) {
    if (!event.topic_id || event.op === "remove") return;
    if (event.op === "add") {
      listChanges.added[event.topic_id] = true;
      delete listChanges.updated[event.topic_id];
    } else if (!listChanges.added[event.topic_id]) {
      listChanges.updated[event.topic_id] = true;
    }
    showBanner();
  }

  function showBanner(generic) {
    if (!document.querySelector("[data-topic-list]") && !document.querySelector(".forum-head")) return;
    var banner = document.getElementById("live-banner");
    if (!banner) {
      banner = document.createElement("button");
      banner.type = "button";
      banner.id = "live-banner";
      banner.className = "button live-banner";
      banner.style.cssText = "position:fixed;top:0.75rem;left:50%;transform:translateX(-50%);z-index:50;" +
        "box-shadow:0 2px 8px rgba(0,0,0,.2)";
      banner.addEventListener("click", reloadList);
      body.appendChild(banner);
    }
    var added = Object.keys(listChanges.added).length;
    var updated = Object.keys(listChanges.updated).length;
    var parts = [];
    if (added) parts.push(interpolate(ngettext("%(n)s new topic", "%(n)s new topics", added), { n: added }));
    if (updated) parts.push(interpolate(ngettext("%(n)s updated", "%(n)s updated", updated), { n: updated }));
    var text = parts.length ? parts.join(", ") : gettext("New activity");
    banner.textContent = generic && !parts.length ? gettext("New activity: show") : text + " · " + gettext("show");
    announce(text);
  }

  function reloadList() {
    var banner = document.getElementById("live-banner");
    fetch(location.href, { credentials: "same-origin", headers: { "X-Requested-With": "live" } })
      .then(function (response) { return response.text(); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.querySelector("main");
        var main = document.querySelector("main");
        if (!fresh || !main) { location.reload(); return; }
        main.innerHTML = fresh.innerHTML;
        processHtmx(main);
        listChanges = { added: {}, updated: {} };
        if (banner) banner.remove();
        var list = main.querySelector("[data-topic-list]") || main;
        list.setAttribute("tabindex", "-1");
        list.focus({ preventScroll: false });
      })
      .catch(function () { location.reload(); });
  }

  function resync(stream) {
    var kind = stream.split(".")[0];
    if (kind === "topic") {
      // Too far behind: fetch the page again and swap in the posts and the topic state.
      fetch(location.href, { credentials: "same-origin" })
        .then(function (response) { return response.text(); })
        .then(function (html) {
          var doc = new DOMParser().parseFromString(html, "text/html");
          ["[data-posts]", "[data-topic-state]"].forEach(function (selector) {
            var fresh = doc.querySelector(selector);
            var current = document.querySelector(selector);
            if (fresh && current) { current.replaceWith(fresh); processHtmx(fresh); }
          });
        })
        .catch(function () { /* keep what we have */ });
    } else if (kind === "latest" || kind === "category") {
      showBanner(true);
    }
  }

  function applyNotification(event, id) {
    if (typeof event.unread === "number") {
      document.querySelectorAll("[data-unread-notifications]").forEach(function (badge) {
        badge.textContent = event.unread > 0 ? String(event.unread) : "";
      });
    }
    if (id === null || !event.html || event.op === "remove") return; // snapshots update counts only
    var toasts = document.getElementById("toasts");
    if (!toasts) return;
    var toast = document.createElement("div");
    toast.className = "live-toast";
    toast.appendChild(fragment(event.html));
    toasts.appendChild(toast);
    setTimeout(function () { toast.remove(); }, 8000);
  }

  function topicBox() {
    return document.querySelector("[data-topic]");
  }

  function liveLine(attribute, after) {
    var el = document.querySelector("[" + attribute + "]");
    if (!el) {
      var anchor = after();
      if (!anchor) return null;
      el = document.createElement("p");
      el.className = "muted live-line";
      el.setAttribute(attribute, "");
      anchor.insertAdjacentElement("afterend", el);
    }
    return el;
  }

  function applyReaders(event) {
    var el = liveLine("data-live-readers", function () { return document.querySelector("[data-topic-state]"); });
    if (!el) return;
    var n = event.count || 0;
    el.textContent = n > 1 ? interpolate(ngettext("%(n)s reading now", "%(n)s reading now", n), { n: n }) : "";
  }

  var typers = {};
  var typingTimer = null;

  function applyTyping(event) {
    if (!event.member_id || String(event.member_id) === memberId) return;
    typers[event.member_id] = { name: event.name, until: Date.now() + (event.expires_in || 6) * 1000 };
    renderTyping();
  }

  function renderTyping() {
    var now = Date.now();
    Object.keys(typers).forEach(function (key) { if (typers[key].until <= now) delete typers[key]; });
    var names = Object.keys(typers).map(function (key) { return typers[key].name; });
    var el = liveLine("data-live-typing", function () { return document.querySelector("[data-posts]"); });
    if (el) {
      var text = "";
      if (names.length === 1) text = interpolate(gettext("%(name)s is typing…"), { name: names[0] });
      else if (names.length === 2) text = interpolate(gettext("%(first)s and %(second)s are typing…"), { first: names[0], second: names[1] });
      else if (names.length > 2) text = gettext("Several people are typing…");
      el.textContent = text;
    }
    clearTimeout(typingTimer);
    if (names.length) typingTimer = setTimeout(renderTyping, 1000);
  }

  // Tell others we are typing a reply (members only; the server rate limits too).
  document.addEventListener("input", function (e) {
    var target = e.target;
    if (!memberId || !target || target.tagName !== "TEXTAREA") return;
    var box = target.closest("[data-topic]") || topicBox();
    if (!box || !box.contains(target)) return;
    var stream = "topic." + box.getAttribute("data-topic");
    var now = Date.now();
    if (!streams[stream] || now - lastTyping < TYPING_EVERY) return;
    lastTyping = now;
    send({ type: "typing", stream: stream });
  });

  window.CommunityLive = {
    subscribe: function (stream, lastId) { add(stream, lastId); if (!socket && !retryTimer) connect(); },
    unsubscribe: function (stream) { delete streams[stream]; send({ type: "unsubscribe", stream: stream }); },
    lastId: function (stream) { return streams[stream] ? streams[stream].lastId : null; },
  };

  function start() {
    collect();
    connect();
  }
  window.addEventListener("pagehide", function () { stopped = true; if (socket) socket.close(1000); });
  window.addEventListener("pageshow", function (e) {
    if (e.persisted) { stopped = false; attempt = 0; connect(); } // back/forward cache: catch up from lastId
  });
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
