// The tab's title and the navigation's badge show how many messages wait unread: "(2) …".
// Other modules that change the count (the chat marking messages read) can dispatch
// "vetchat:unread-changed" on document to have it refreshed at once.

const REFRESH_MS = 10000;
const source = document.getElementById("unread-total-api");
const badges = document.querySelectorAll("[data-unread-total]");
const baseTitle = document.title.replace(/^\(\d+\) /, "");

export function titleWith(count, title = baseTitle) {
  return count > 0 ? `(${count}) ${title}` : title;
}

function show(count) {
  document.title = titleWith(count);
  for (const badge of badges) {
    badge.querySelector(".unread-count").textContent = count;
    badge.hidden = count === 0;
  }
}

async function refresh() {
  if (document.visibilityState !== "visible") return;
  try {
    const response = await fetch(source.dataset.url, {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    });
    if (!response.ok) return; // the next refresh tries again
    const body = await response.json();
    show(body.unreadTotal);
  } catch (error) {
    // Offline for a moment: the title keeps its last known count.
  }
}

if (source) {
  const first = badges[0]?.querySelector(".unread-count")?.textContent;
  show(Number.parseInt(first ?? "0", 10) || 0);
  setInterval(refresh, REFRESH_MS);
  document.addEventListener("visibilitychange", refresh);
  document.addEventListener("vetchat:unread-changed", refresh);
}
