// Keeps the unread badges of an appointment list current without reloading the page: at once
// when the user's live socket says a chat changed, and every 20 s whatever happens.

import { connectLive } from "./live.js";

const REFRESH_MS = 20000;
const source = document.getElementById("appointments-api");

async function refresh() {
  if (document.visibilityState !== "visible") return;
  try {
    const response = await fetch(source.dataset.url, {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    });
    if (!response.ok) return; // the next refresh tries again
    const body = await response.json();
    for (const appointment of body.appointments) {
      const badge = document.querySelector(`[data-unread-for="${appointment.id}"]`);
      if (!badge) continue;
      badge.querySelector(".unread-count").textContent = appointment.unreadCount;
      badge.hidden = appointment.unreadCount === 0;
    }
  } catch (error) {
    // Offline for a moment: the badges keep their last known counts.
  }
}

setInterval(refresh, REFRESH_MS);
connectLive("/ws/inbox/", {
  onUnread: refresh,
  onHello: refresh, // whatever changed while the socket was down
  onSignedOut() {
    window.location.reload();
  },
});
document.addEventListener("visibilitychange", refresh);
