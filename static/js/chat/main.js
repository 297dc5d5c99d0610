// The live chat box of the appointment page: wires the store, the view, the composer and a
// transport together. The page's data comes from the server through json_script ("chat-data").

import { MessageActions } from "./actions.js";
import { CallController } from "./call.js";
import { CannedPicker } from "./canned.js";
import { Composer } from "./composer.js";
import { notifyWhileHidden } from "./notify.js";
import { ChatStore } from "./store.js";
import { HttpTransport } from "./transport.js";
import { Uploads, refuseDrops } from "./uploads.js";
import { ChatView } from "./view.js";
import { ImageViewer } from "./viewer.js";
import "./promise.js"; // the composer's reply time for the chosen category
import { connectLive } from "../live.js";

const data = JSON.parse(document.getElementById("chat-data").textContent);
const root = document.getElementById("chat");
const form = root.querySelector(".composer");

function csrfToken() {
  const input = form && form.querySelector("input[name=csrfmiddlewaretoken]");
  if (input) return input.value;
  const cookie = document.cookie.split("; ").find((part) => part.startsWith("csrftoken="));
  return cookie ? decodeURIComponent(cookie.split("=")[1]) : "";
}

const reading = () => document.visibilityState === "visible";
const signedOut = () => window.location.reload(); // the page sends the reader to sign in

const view = new ChatView(root, data);
new ImageViewer(root);
const actions = new MessageActions({ root, data, view, transport: () => transport });
const store = new ChatStore(data);
store.add(view.shownMessages());

const transport = new HttpTransport({
  pollMs: data.pollMs,
  apiUrl: data.apiUrl,
  appointmentId: data.appointmentId,
  csrfToken,
  // Nothing is marked read while the tab is hidden; what arrived meanwhile is fetched again,
  // as read, once it is seen.
  cursor: () => ({
    after: store.resumeAfter({ reading: reading() }),
    markRead: reading(),
    rev: store.rev,
  }),
});
function show(messages) {
  const theirs = messages.filter((message) => message.senderId !== data.me);
  for (const message of theirs) view.hideTyping(message.senderId);
  for (const node of view.append(messages)) actions.decorate(node);
  notifyWhileHidden(theirs, data);
}

transport.onMessages((messages, { read }) => {
  for (const message of store.receiveChanges(store.changedAmong(messages), store.rev)) {
    actions.decorate(view.replace(message));
  }
  show(store.receive(messages, { read }));
  // The tab's unread count (unread-title.js) drops as soon as these are read.
  if (read && messages.length) document.dispatchEvent(new CustomEvent("vetchat:unread-changed"));
});
transport.onChanges((messages, rev) => {
  for (const message of store.receiveChanges(messages, rev)) actions.decorate(view.replace(message));
});
transport.onReadUpTo((seq, receiptHtml) => {
  if (store.readUpTo(seq)) view.markReadUpTo(seq, receiptHtml);
});
transport.onStatus((status) => view.setConnection(status));
transport.onSignedOut(signedOut);
// Access ended while the page was open: reloading shows the page as the server now answers it.
const gone = () => window.location.reload();
transport.onGone(gone);

// Live: the socket rings, HTTP fetches ---------------------------------------------------
// While the socket is live, polling stops. Every hello says how far the chat stood once the
// socket was registered: a page that holds less catches up with one fetch, so nothing committed
// in between is missed, and a page that holds it all (a reconnect that missed nothing) asks
// nothing. A pushed message, change or read mark only rings: the page fetches what is new after
// what it holds, drawn by the server (`render=html`), and pushes that arrive during a fetch wait
// for it. A tab that shows a pushed message reads it through the same fetch, which moves the
// read cursor.

const TYPING_SHOWN_MS = 6000;
const TYPING_SENT_EVERY_MS = 2000;
let live = false;
let catching = false;
let pushed = [];
let typingTimer = null;
let retryTimer = null;

// Rung while a fetch was out (a read mark, a change): that fetch may have been answered before
// what rang, so another follows it.
let rungAgain = false;

async function catchUp() {
  if (catching) {
    rungAgain = true;
    return;
  }
  catching = true;
  rungAgain = false;
  clearTimeout(retryTimer);
  try {
    await transport.poll();
  } finally {
    catching = false;
  }
  const waiting = pushed.sort((a, b) => a.seq - b.seq);
  pushed = [];
  if (transport.failures) {
    // The fetch failed (the transport says so, and when it tries again): so does this, while
    // live, for everything after what is held.
    if (live) retryTimer = setTimeout(catchUp, transport.nextDelay());
    return;
  }
  // Rung while the fetch was out: rings again for anything committed after it read.
  for (const message of waiting) takePushed(message);
  if (rungAgain) catchUp();
}

function takePushed(message) {
  if (catching || transport.polling) {
    pushed.push(message);
    return;
  }
  if (message.seq <= store.lastSeq) return;
  if (message.seq === store.lastSeq + 1 && store.has(message)) {
    store.receive([message], { read: false }); // the user's own, shown from the send's answer
    return;
  }
  catchUp();
}

// Opened at a message with later ones not loaded yet (a search result), the page waits to go
// live until they are: what arrives is newer than everything the reader has not seen yet.
let socket = null;
let following = !data.hasLater;

function goLive() {
  socket = connectLive(data.socketPath, liveHandlers);
  transport.start();
}

const call = new CallController({ root, data, send: (frame) => socket?.send(frame) });

const liveHandlers = {
  onStatus(status) {
    const wasLive = live;
    live = status === "live";
    view.setLive(status);
    if (live) transport.stop();
    else if (wasLive) {
      transport.start();
      transport.refresh();
    }
  },
  onHello(event) {
    if (!store.holdsAllOf(event, { reading: reading() })) catchUp();
    call.hello(event);
  },
  onCall: (event) => call.receive(event),
  onError: (event) => call.refused(event),
  onMessage: (event) => takePushed(event.message),
  // An edit, a removal or an acknowledgement: the catch-up fetch brings it as it now stands.
  onChanged(event) {
    if (event.rev > store.rev) catchUp();
  },
  onRead(event) {
    // Only the other side's reading makes this user's messages "Read"; the fetch brings their
    // receipts as the server draws them.
    if (event.userId === data.me || Boolean(event.clinic) === Boolean(data.isClinic)) return;
    if (event.lastReadSeq > store.otherLastReadSeq) catchUp();
  },
  onTyping(event) {
    view.showTyping(event.userId, event.name);
    clearTimeout(typingTimer);
    typingTimer = setTimeout(() => view.hideTyping(), TYPING_SHOWN_MS);
  },
  onChat: () => window.location.reload(), // e.g. cancelled: the server paints it read-only
  // Alerts belong to whoever painted them into the page (e.g. the clinic's red-flag banner).
  onAlert: (event) => document.dispatchEvent(new CustomEvent("vetchat:chat-alert", { detail: event })),
  onSignedOut: signedOut,
  onGone: gone,
};

if (form) {
  let typingSentAt = 0;
  form.elements.content.addEventListener("input", () => {
    if (form.elements.content.value && Date.now() - typingSentAt > TYPING_SENT_EVERY_MS) {
      typingSentAt = Date.now();
      socket?.typing();
    }
  });
}

document.addEventListener("visibilitychange", () => {
  if (!reading()) return;
  if (live) catchUp();
  else transport.refresh();
});

view.onLoadEarlier(async () => {
  view.setHistory({ loading: true });
  try {
    const page = await transport.fetchBefore(store.oldestSeq, { limit: data.pageSize });
    // Drawn with their receipts as they stand now: nothing to mark read.
    view.prepend(store.receiveOlder(page.messages), { decorate: (node) => actions.decorate(node) });
    view.setHistory({ hasMore: page.hasMore });
  } catch (error) {
    view.setHistory({ failed: true });
  }
});

view.onLoadLater(async () => {
  view.setLater({ loading: true });
  let page;
  try {
    page = await transport.fetchAfter(store.lastSeq, { markRead: reading(), rev: store.rev });
  } catch (error) {
    view.setLater({ failed: true });
    return;
  }
  if (page) {
    for (const message of store.receiveChanges(page.changed, page.rev)) {
      actions.decorate(view.replace(message));
    }
    const fresh = store.receive(page.messages, { read: reading() });
    view.appendLater(fresh, { decorate: (node) => actions.decorate(node) });
    if (store.readUpTo(page.otherLastReadSeq)) {
      view.markReadUpTo(page.otherLastReadSeq, page.readReceiptHtml);
    }
  }
  const hasMore = Boolean(page && page.hasMore);
  view.setLater({ hasMore, loaded: page ? page.messages.length : 0 });
  if (!hasMore && !following) {
    following = true;
    goLive();
  }
});

if (form) {
  new Composer({
    form,
    data,
    view,
    send: (body) => transport.send(body),
    onSent: (message, node) => {
      // Sent while the messages between those shown and the latest are not loaded: the chat is
      // shown again at its end, where the message now is.
      if (!following) {
        window.location.assign(`${window.location.pathname}#chat-end`);
        return;
      }
      const [fresh] = store.add([message]);
      actions.decorate(view.confirmed(node, fresh));
      if (!live) transport.refresh(); // whatever arrived meanwhile, and this message's place
    },
    onSignedOut: signedOut,
    uploads: new Uploads({ root, form, data, view, csrfToken, onSignedOut: signedOut }),
  });
  // Clinicians only: the server ships canned answers to nobody else.
  const canned = document.getElementById("canned-answers");
  if (canned) new CannedPicker({ form, answers: JSON.parse(canned.textContent) });
} else {
  refuseDrops(root.querySelector(".read-only-notice"));
}

actions.decorateAll();
if (!(data.focusId && view.focusMessage(data.focusId))) view.scrollToBottom();
if (following) goLive();
