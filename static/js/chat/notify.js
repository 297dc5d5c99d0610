// A browser notification for messages that arrive while the tab is hidden, once the user has
// allowed notifications (on the preferences page). It names the sender and the pet, never the
// text: notifications show on lock screens. Its tag is the page's address, as for the server's
// web push, so a later push replaces it instead of stacking beside it.

export function notifyWhileHidden(messages, { petName }) {
  if (document.visibilityState !== "hidden" || !messages.length) return;
  if (!("Notification" in window) || Notification.permission !== "granted") return;
  const latest = messages[messages.length - 1];
  const more = messages.length > 1 ? ` (${messages.length} new messages)` : "";
  const notification = new Notification(`${latest.senderName} wrote about ${petName}${more}`, {
    tag: window.location.origin + window.location.pathname,
    renotify: true,
  });
  notification.addEventListener("click", () => {
    window.focus();
    notification.close();
  });
}
