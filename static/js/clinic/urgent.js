// The red-flag advice of the appointment page, shown where the family looks: the banner at the
// top, the advice in the composer's area (and, drawn by the server, under the message that
// raised it). The server paints them (hidden unless the chat is urgent); when a pet parent's
// message raises a red flag while the page is open, the live socket brings an "urgent" alert
// (chat/main.js hands it on as "vetchat:chat-alert") and they show at once, on both sides of the
// chat, without a reload.
//
// Screen readers hear it once: the banner is the one live region (role="alert"); the copies by
// the composer and under the message are plain text. A banner painted shown is announced once
// on load by showing it anew, since an alert already present at load is not announced.

const banner = document.getElementById("urgent-banner");
const advice = document.getElementById("composer-urgent-advice");

function announce() {
  banner.hidden = true;
  requestAnimationFrame(() => {
    banner.hidden = false;
  });
}

if (banner) {
  if (!banner.hidden) announce();
  document.addEventListener("vetchat:chat-alert", (event) => {
    const alert = event.detail || {};
    if (alert.kind !== "urgent") return;
    for (const node of document.querySelectorAll("#urgent-banner .urgent-sign, #composer-urgent-advice .urgent-sign")) {
      node.textContent = alert.sign || "";
    }
    if (advice) advice.hidden = false;
    // Shown as new content, so the role="alert" is announced.
    banner.hidden = false;
  });
}
