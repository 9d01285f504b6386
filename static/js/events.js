/* Event page: live seat counts (events.seats on the event's stream) without a reload.
 *
 * The page marks the panel with data-live-streams="event.<id>@<last id>". If the site-wide live client
 * (static/js/live.js, window.CommunityLive) is on the page, we only listen to the DOM events it dispatches
 * ("live:event" with detail {stream, id, event}); otherwise we open the small /ws/ subscription ourselves.
 * The payload never carries the online join link: that is only rendered server-side for confirmed attendees.
 */
(function () {
  "use strict";

  function applySeats(payload) {
    if (!payload || payload.type !== "events.seats") return;
    document.querySelectorAll('[data-event-seats="' + payload.event_id + '"]').forEach(function (panel) {
      var set = function (selector, value) {
        var el = panel.querySelector(selector);
        if (el && value !== undefined && value !== null) el.textContent = String(value);
      };
      set("[data-seats-left]", payload.seats_left);
      set("[data-going]", payload.going);
      set("[data-waitlisted]", payload.waitlisted);
      panel.dispatchEvent(new CustomEvent("events:seats", { bubbles: true, detail: payload }));
    });
  }

  window.communityEvents = { applySeats: applySeats };

  document.addEventListener("live:event", function (e) {
    var detail = e.detail || {};
    applySeats(detail.event || detail);
  });

  function ownSocket() {
    var holder = document.querySelector("[data-event-live]");
    if (!holder || !("WebSocket" in window)) return;
    var spec = holder.getAttribute("data-event-live") || "";
    var at = spec.lastIndexOf("@");
    var stream = at > 0 ? spec.slice(0, at) : spec;
    var lastId = at > 0 ? parseInt(spec.slice(at + 1), 10) : null;
    if (!stream) return;
    var delay = 1000;

    function connect() {
      var scheme = location.protocol === "https:" ? "wss://" : "ws://";
      var socket = new WebSocket(scheme + location.host + "/ws/");
      socket.addEventListener("open", function () {
        delay = 1000;
        socket.send(JSON.stringify({ type: "subscribe", stream: stream, last_id: isNaN(lastId) ? null : lastId }));
      });
      socket.addEventListener("message", function (message) {
        var data;
        try { data = JSON.parse(message.data); } catch (err) { return; }
        if (data.stream !== stream) return;
        if (data.type === "event") {
          if (typeof data.id === "number") lastId = data.id;
          applySeats(data.event);
        } else if (data.type === "subscribed" || data.type === "resync") {
          if (typeof data.last_id === "number") lastId = data.last_id;
        } else if (data.type === "revoked") {
          socket.close();
        }
      });
      socket.addEventListener("close", function (e) {
        if (e.code === 4403) return;
        setTimeout(connect, delay);
        delay = Math.min(delay * 2, 30000);
      });
    }
    connect();
  }

  function start() {
    if (!window.CommunityLive) ownSocket();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
