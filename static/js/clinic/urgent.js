// The red-flag banner of the appointment page. The server paints it (hidden unless the chat is
// urgent); when a pet parent's message raises a red flag while the page is open, the live socket
// brings an "urgent" alert (chat/main.js hands it on as "vetchat:chat-alert") and the banner
// shows at once, on both sides of the chat, without a reload.

const banner = document.getElementById("urgent-banner");

if (banner) {
  document.addEventListener("vetchat:chat-alert", (event) => {
    const alert = event.detail || {};
    if (alert.kind !== "urgent") return;
    for (const node of banner.querySelectorAll(".urgent-sign")) {
      node.textContent = alert.sign || "";
    }
    // Shown as new content, so the role="alert" is announced.
    banner.hidden = false;
  });
}
