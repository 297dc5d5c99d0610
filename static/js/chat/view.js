// The chat box on the page: where messages go, day separators, receipts, scrolling and what a
// screen reader hears. How a message looks is the server's alone (templates/chat/_message.html):
// every message arrives with its HTML (`html`, `dayHtml`, asked for with `render=html`), which
// Django escaped; user text the page writes itself only ever goes through textContent.

const NEAR_BOTTOM_PX = 80;
const PREVIEW_CHARS = 140;

// How an attachment is drawn, by its own content type: a file message may hold pictures.
export function attachmentKind(contentType) {
  const type = String(contentType || "").toLowerCase();
  if (type.startsWith("image/")) return "image";
  if (type.startsWith("video/")) return "video";
  return "file";
}

// The element the server rendered.
function fromHtml(html) {
  const template = document.createElement("template");
  template.innerHTML = html.trim();
  return template.content.firstElementChild;
}

// What a screen reader hears of a message that is only files: "photo rash.jpg", "3 files".
function describeFiles(attachments) {
  if (attachments.length !== 1) return attachments.length ? `${attachments.length} files` : "";
  const word = { image: "photo", video: "video", file: "document" }[attachmentKind(attachments[0].contentType)];
  return `${word} ${attachments[0].name}`;
}

// A message drawn again in place. Focus on one of its links (a photo's thumbnail, a document)
// stays on the same link in the new drawing, so a keyboard user is not sent to the page's top.
function swap(node, fresh) {
  const focused = node.contains(document.activeElement) && document.activeElement.getAttribute("href");
  node.replaceWith(fresh);
  if (focused) fresh.querySelector(`a[href="${CSS.escape(focused)}"]`)?.focus();
}

// The receipt of a message on its way: "Sending…", "Not sent." (the server's answer replaces it).
function setReceipt(node, text) {
  const receipt = node.querySelector(".receipt");
  receipt.textContent = text;
  return receipt;
}

export class ChatView {
  constructor(root, data) {
    this.data = data;
    this.log = root.querySelector(".chat-log");
    this.list = root.querySelector(".messages");
    this.empty = root.querySelector(".chat-empty");
    this.pendingTemplate = document.getElementById("pending-template");
    this.notice = root.querySelector(".connection-notice");
    this.announcer = document.getElementById("chat-announcer");
    this.newMessagesButton = root.querySelector(".new-messages");
    this.loadEarlierRow = root.querySelector(".load-earlier-row");
    this.loadEarlierButton = root.querySelector(".load-earlier");
    this.loadLaterRow = root.querySelector(".load-later-row");
    this.loadLaterButton = root.querySelector(".load-later");

    // The live socket's state beside the heading, and who is typing under the log.
    this.liveStatus = document.createElement("span");
    this.liveStatus.className = "live-status";
    this.liveStatus.setAttribute("role", "status");
    this.liveStatus.hidden = true;
    root.querySelector("h2").append(" ", this.liveStatus);
    this.typingNotice = document.createElement("p");
    this.typingNotice.className = "typing-notice muted";
    this.typingNotice.hidden = true;
    this.log.after(this.typingNotice);
    this.typingUserId = null;

    this.newMessagesButton.addEventListener("click", () => this.scrollToBottom());
    this.log.addEventListener("scroll", () => {
      if (this.isNearBottom()) this.newMessagesButton.hidden = true;
    });
  }

  // A message that changed (edited, removed, acknowledged) shown as it now stands.
  replace(message) {
    const node = this.list.querySelector(`.message[data-id="${CSS.escape(message._id)}"]`);
    if (!node) return null;
    const fresh = fromHtml(message.html);
    swap(node, fresh);
    return fresh;
  }

  // The messages the server rendered with the page, for the store to know them.
  shownMessages() {
    return Array.from(this.list.querySelectorAll(".message[data-id]"), (node) => ({
      _id: node.dataset.id,
      seq: Number(node.dataset.seq),
    }));
  }

  // One separator before the first message of each day (the clinic's, as the server dates each
  // message in `data-day`), none anywhere else: the server's own where it painted them, and
  // those of `messages` (their `dayHtml`) for days it did not. Messages on their way have no day
  // yet and are passed over.
  separate(messages = []) {
    const days = new Map(
      messages.map((message) => [fromHtml(message.dayHtml).dataset.day, message.dayHtml]),
    );
    for (const separator of this.list.querySelectorAll(".day-separator")) {
      days.set(separator.dataset.day, separator.outerHTML);
    }
    let day = null;
    let separator = null; // met since the last dated message
    for (const node of [...this.list.children]) {
      if (node.classList.contains("day-separator")) {
        separator?.remove();
        separator = node;
      } else if (node.dataset.day) {
        if (node.dataset.day === day) {
          separator?.remove();
        } else if (separator?.dataset.day !== node.dataset.day) {
          separator?.remove();
          if (days.has(node.dataset.day)) node.before(fromHtml(days.get(node.dataset.day)));
        }
        day = node.dataset.day;
        separator = null;
      }
    }
    separator?.remove();
  }

  isMine(message) {
    return message.senderId === this.data.me;
  }

  appendNodes(messages) {
    const nodes = messages.map((message) => fromHtml(message.html));
    this.list.append(...nodes);
    this.separate(messages);
    if (nodes.length) this.empty.hidden = true;
    return nodes;
  }

  // Newer messages at the bottom: followed if the reader was at the bottom, otherwise offered.
  // Returns the nodes added.
  append(messages) {
    if (!messages.length) return [];
    const stick = this.isNearBottom();
    const nodes = this.appendNodes(messages);
    const fromOther = messages.filter((message) => !this.isMine(message));
    if (fromOther.length) this.announce(fromOther);
    if (stick) this.scrollToBottom();
    else if (fromOther.length) this.newMessagesButton.hidden = false;
    return nodes;
  }

  // Later history below, opened at a message: the reader's view stays where it was, and nothing
  // is announced (these are not new). Returns the nodes added.
  appendLater(messages, { decorate = () => {} } = {}) {
    const nodes = this.appendNodes(messages);
    nodes.forEach(decorate);
    return nodes;
  }

  // The message a search result opened the page at: in view, focused, so reading goes on there.
  focusMessage(id) {
    const node = this.list.querySelector(`.message[data-id="${CSS.escape(id)}"]`);
    if (!node) return false;
    node.scrollIntoView({ block: "center" });
    node.focus({ preventScroll: true });
    return true;
  }

  // Older messages at the top, the reader's view staying where it was.
  // `decorate` adds to each new node what other modules put on messages (their actions) before
  // the height is measured again, or the reader's place would move by what it added.
  prepend(messages, { decorate = () => {} } = {}) {
    const heightBefore = this.log.scrollHeight;
    const topBefore = this.log.scrollTop;
    const nodes = messages.map((message) => fromHtml(message.html));
    this.list.prepend(...nodes);
    nodes.forEach(decorate);
    this.separate(messages);
    this.log.scrollTop = topBefore + (this.log.scrollHeight - heightBefore);
  }

  // The other side read up to `seq`: the user's messages up to it still shown as sent take the
  // receipt the server drew for them (`receiptHtml`). A receipt already "Read" keeps the reader
  // it names.
  markReadUpTo(seq, receiptHtml) {
    for (const node of this.list.querySelectorAll(".message.mine[data-seq]")) {
      if (Number(node.dataset.seq) > seq) continue;
      const receipt = node.querySelector(".receipt");
      if (receipt && !receipt.classList.contains("read")) receipt.replaceWith(fromHtml(receiptHtml));
    }
  }

  // Once per batch that arrived, never the history: several messages at once are one
  // announcement naming the latest, so a screen reader does not queue up a backlog.
  announce(messages) {
    const latest = messages[messages.length - 1];
    const text = latest.content || this.data.typeLabels[latest.messageType]
      || describeFiles(latest.attachments || []);
    const preview = text.length > PREVIEW_CHARS ? `${text.slice(0, PREVIEW_CHARS)}…` : text;
    this.say(
      messages.length === 1
        ? `New message from ${latest.senderName}: ${preview}`
        : `${messages.length} new messages. Latest from ${latest.senderName}: ${preview}`,
    );
  }

  // The polite live region the chat speaks through.
  say(text) {
    this.announcer.textContent = text;
  }

  isNearBottom() {
    return this.log.scrollHeight - this.log.scrollTop - this.log.clientHeight < NEAR_BOTTOM_PX;
  }

  scrollToBottom() {
    this.log.scrollTop = this.log.scrollHeight;
    this.newMessagesButton.hidden = true;
  }

  // A message on its way: shown at once, in the sender's bubble, until the server answers
  // with the message as it draws it. Only its text (or what it is: "Prescription", the files'
  // names) and the sender's initials; no day of its own yet.
  showPending({ text }) {
    const node = this.pendingTemplate.content.firstElementChild.cloneNode(true);
    node.querySelector(".avatar").textContent = this.data.myInitials;
    node.querySelector(".content").textContent = text;
    this.list.append(node);
    this.empty.hidden = true;
    this.scrollToBottom();
    return node;
  }

  sending(node, { retry = false } = {}) {
    const hadFocus = node.contains(document.activeElement);
    node.classList.remove("failed");
    node.classList.add("pending");
    setReceipt(node, "Sending…");
    if (retry) this.say("Sending your message again…");
    // The Retry button just pressed is gone: focus goes back to where the user writes.
    if (hadFocus) this.focusComposer();
  }

  failed(node, retry) {
    node.classList.remove("pending");
    node.classList.add("failed");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "secondary";
    button.textContent = "Retry";
    button.addEventListener("click", retry);
    setReceipt(node, "Not sent.").append(" ", button);
    this.say("Your message was not sent. Its Retry button is beside it in the conversation.");
  }

  focusComposer() {
    document.getElementById("composer-text")?.focus();
  }

  // Returns the stored message's node, or null when a poll brought it first.
  confirmed(node, message) {
    if (!message) {
      node.remove();
      return null;
    }
    const fresh = fromHtml(message.html);
    swap(node, fresh);
    this.separate([message]);
    return fresh;
  }

  dropped(node) {
    node.remove();
    if (!this.list.querySelector(".message")) this.empty.hidden = false;
  }

  // "live"; "reconnecting" (it was up and dropped); "polling" (it keeps failing and keeps trying
  // quietly, while polling carries the chat: the page says how often, which is all the reader
  // needs to know); or "off" (the socket will not come back: polling carries the chat).
  setLive(status) {
    const seconds = Math.round(this.data.pollMs / 1000);
    const every = seconds === 1 ? "second" : `${seconds} seconds`;
    const text = {
      live: "Live",
      reconnecting: "Reconnecting…",
      polling: `Updates every ${every}`,
    }[status] || "";
    this.liveStatus.hidden = !text;
    this.liveStatus.textContent = text;
    this.liveStatus.classList.toggle("is-live", status === "live");
    this.liveStatus.classList.toggle("is-polling", status === "polling");
  }

  showTyping(userId, name) {
    this.typingUserId = userId;
    this.typingNotice.textContent = `${name} is typing…`;
    this.typingNotice.hidden = false;
  }

  // Hides the notice; with a userId, only if it is that user's.
  hideTyping(userId = null) {
    if (userId !== null && userId !== this.typingUserId) return;
    this.typingUserId = null;
    this.typingNotice.hidden = true;
  }

  setConnection({ connected, retryInMs }) {
    if (!connected) {
      this.notice.textContent = `Connection lost, retrying in ${Math.round(retryInMs / 1000)} s…`;
    }
    this.notice.hidden = connected;
  }

  onLoadEarlier(handler) {
    this.loadEarlierButton.addEventListener("click", handler);
  }

  onLoadLater(handler) {
    this.loadLaterButton.addEventListener("click", handler);
  }

  // As setHistory, for the messages after those shown. Once none are left the row goes, and a
  // keyboard user who pressed the button is put in the conversation.
  setLater({ loading = false, failed = false, hasMore = true, loaded = 0 }) {
    const button = this.loadLaterButton;
    if (loading) this.laterHadFocus = document.activeElement === button;
    button.disabled = loading;
    button.textContent = loading
      ? "Loading…"
      : failed ? "Could not load, try again" : "Load later messages";
    this.loadLaterRow.hidden = !hasMore;
    if (!loading && !failed) {
      this.say(hasMore ? `${loaded} later messages loaded.` : "The latest messages are loaded.");
    }
    if (!loading && this.laterHadFocus) {
      this.laterHadFocus = false;
      (hasMore ? button : this.log).focus({ preventScroll: true });
    }
  }

  // The button is disabled while loading, which takes focus from it; a keyboard user gets it back
  // when the history is in (or the conversation, once there is no more), never the page's top.
  setHistory({ loading = false, failed = false, hasMore = true }) {
    const button = this.loadEarlierButton;
    if (loading) this.historyHadFocus = document.activeElement === button;
    button.disabled = loading;
    button.textContent = loading
      ? "Loading…"
      : failed ? "Could not load, try again" : "Load earlier messages";
    this.loadEarlierRow.hidden = !hasMore;
    if (!loading && this.historyHadFocus) {
      this.historyHadFocus = false;
      (hasMore ? button : this.log).focus({ preventScroll: true });
    }
  }
}
