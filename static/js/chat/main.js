// The live chat box of the appointment page: wires the store, the view, the composer and a
// transport together. The page's data comes from the server through json_script ("chat-data").

import { MessageActions } from "./actions.js";
import { Composer } from "./composer.js";
import { ChatStore } from "./store.js";
import { HttpTransport } from "./transport.js";
import { ChatView } from "./view.js";

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
const actions = new MessageActions({ root, data, view, transport: () => transport });
const store = new ChatStore(data);
store.add(view.shownMessages());

const transport = new HttpTransport({
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
transport.onMessages((messages, { read }) => {
  for (const message of store.receiveChanges(store.changedAmong(messages), store.rev)) {
    actions.decorate(view.replace(message));
  }
  for (const node of view.append(store.receive(messages, { read }))) actions.decorate(node);
  // The tab's unread count (unread-title.js) drops as soon as these are read.
  if (read && messages.length) document.dispatchEvent(new CustomEvent("vetchat:unread-changed"));
});
transport.onChanges((messages, rev) => {
  for (const message of store.receiveChanges(messages, rev)) actions.decorate(view.replace(message));
});
transport.onReadUpTo((seq) => {
  if (store.readUpTo(seq)) view.markReadUpTo(seq);
});
transport.onStatus((status) => view.setConnection(status));
transport.onSignedOut(signedOut);

document.addEventListener("visibilitychange", () => {
  if (reading()) transport.refresh();
});

view.onLoadEarlier(async () => {
  view.setHistory({ loading: true });
  try {
    const page = await transport.fetchBefore(store.oldestSeq, { limit: data.pageSize });
    view.prepend(store.receiveOlder(page.messages), { decorate: (node) => actions.decorate(node) });
    view.markReadUpTo(store.otherLastReadSeq);
    view.setHistory({ hasMore: page.hasMore });
  } catch (error) {
    view.setHistory({ failed: true });
  }
});

if (form) {
  new Composer({
    form,
    data,
    view,
    send: (body) => transport.send(body),
    onSent: (message, node) => {
      const [fresh] = store.add([message]);
      actions.decorate(view.confirmed(node, fresh));
      transport.refresh(); // whatever arrived meanwhile, and this message's place among it
    },
    onSignedOut: signedOut,
  });
}

actions.decorateAll();
view.scrollToBottom();
transport.start();
