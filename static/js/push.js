// The preferences page's "This browser" switch: subscribe to web push or stop it.

const root = document.getElementById("web-push");

function csrfToken() {
  const input = document.querySelector("input[name=csrfmiddlewaretoken]");
  return input ? input.value : "";
}

function keyBytes(base64url) {
  const base64 = base64url.replace(/-/g, "+").replace(/_/g, "/");
  const padded = base64 + "=".repeat((4 - (base64.length % 4)) % 4);
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
}

function say(text) {
  root.querySelector("[data-push-status]").textContent = text;
}

async function send(method, body) {
  // DELETE names the endpoint in the query: a DELETE request has no body to speak of.
  const url = method === "DELETE" ? `${root.dataset.api}?${new URLSearchParams(body)}` : root.dataset.api;
  const response = await fetch(url, {
    method,
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
    credentials: "same-origin",
    body: method === "DELETE" ? undefined : JSON.stringify(body),
  });
  if (!response.ok) {
    // A refusal names its reason, e.g. a browser whose push service the clinic does not send to.
    const answer = await response.json().catch(() => null);
    throw new Error(answer?.error?.message || `The server answered ${response.status}`);
  }
}

async function registration() {
  return navigator.serviceWorker.register(root.dataset.worker, { scope: "/" });
}

async function subscribe() {
  if ((await Notification.requestPermission()) !== "granted") {
    say("This browser does not allow notifications from vetchat; change that in its settings.");
    return;
  }
  const reg = await registration();
  const subscription = await reg.pushManager.subscribe({
    userVisibleOnly: true,
    applicationServerKey: keyBytes(root.dataset.key),
  });
  await send("POST", subscription.toJSON());
  say("This browser will show notifications of unread messages.");
  show(true);
}

async function unsubscribe() {
  const reg = await registration();
  const subscription = await reg.pushManager.getSubscription();
  if (subscription) {
    await send("DELETE", { endpoint: subscription.endpoint });
    await subscription.unsubscribe();
  }
  say("This browser will not show notifications.");
  show(false);
}

function show(subscribed) {
  root.querySelector("[data-push-on]").hidden = subscribed;
  root.querySelector("[data-push-off]").hidden = !subscribed;
}

async function start() {
  if (!("serviceWorker" in navigator) || !("PushManager" in window)) {
    say("This browser cannot show notifications from web pages.");
    return;
  }
  const reg = await navigator.serviceWorker.getRegistration("/");
  const subscription = reg ? await reg.pushManager.getSubscription() : null;
  show(Boolean(subscription));
  root.hidden = false;
  const act = (action) => () =>
    action().catch((error) => say(`That did not work (${error.message}); try again.`));
  root.querySelector("[data-push-on]").addEventListener("click", act(subscribe));
  root.querySelector("[data-push-off]").addEventListener("click", act(unsubscribe));
}

if (root) start();
